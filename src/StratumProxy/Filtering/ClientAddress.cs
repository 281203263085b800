using System.Net;

namespace StratumProxy.Filtering;

/// <summary>The one form of a client address that filters count, ban and look up by.</summary>
public static class ClientAddress
{
    /// <summary>The client's IP address, or null when the endpoint is not an IP one (a Unix socket, a named pipe).</summary>
    public static IPAddress? From(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? Normalize(ip.Address) : null;

    /// <summary>
    /// Maps IPv4-mapped IPv6 addresses (what a dual-mode <c>[::]</c> socket reports for IPv4 clients) to IPv4 and drops
    /// the IPv6 scope id, so one client is one key whichever socket accepted it.
    /// </summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            return new IPAddress(address.GetAddressBytes());
        }

        return address;
    }

    /// <summary>
    /// Loopback, private (RFC 1918, RFC 4193), shared (RFC 6598), link-local and unspecified addresses: no country
    /// database knows them.
    /// </summary>
    public static bool IsNonPublic(IPAddress address)
    {
        address = Normalize(address);
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return true;
        }

        if (written == 4)
        {
            return bytes[0] == 10
                || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16)
                || (bytes[0] == 192 && bytes[1] == 168)
                || (bytes[0] == 100 && (bytes[1] & 0xC0) == 64)
                || (bytes[0] == 169 && bytes[1] == 254)
                || bytes[0] == 0;
        }

        return (bytes[0] & 0xFE) == 0xFC // fc00::/7 unique local
            || (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0x80); // fe80::/10 link-local
    }
}
