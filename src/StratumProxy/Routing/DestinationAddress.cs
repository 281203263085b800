using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace StratumProxy.Routing;

/// <summary>
/// A destination's parsed <c>host:port</c>. Literal addresses are used as they are; host names are resolved
/// on every connect attempt so a pool node that moves is followed without a reload.
/// </summary>
public sealed class DestinationAddress : IEquatable<DestinationAddress>
{
    private DestinationAddress(string host, int port, IPAddress? literal)
    {
        Host = host;
        Port = port;
        Literal = literal;
    }

    /// <summary>The host as written (brackets of an IPv6 literal removed).</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary>The address when the host is an IP literal; null for a name.</summary>
    public IPAddress? Literal { get; }

    /// <summary>Parses <c>1.2.3.4:3333</c>, <c>[::1]:3333</c> or <c>pool.example:3333</c>.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out DestinationAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected host:port";
            return false;
        }

        text = text.Trim();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' has no port; expected host:port";
            return false;
        }

        var hostPart = text[..colon];
        var portPart = text[(colon + 1)..];
        if (!int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' has an invalid port '{portPart}'; expected 1-65535";
            return false;
        }

        if (hostPart.StartsWith('[') && hostPart.EndsWith(']'))
        {
            if (!IPAddress.TryParse(hostPart[1..^1], out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{text}' has an invalid IPv6 address";
                return false;
            }

            address = new DestinationAddress(v6.ToString(), port, v6);
            error = null;
            return true;
        }

        if (hostPart.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{text}': IPv6 addresses must be written in brackets, e.g. [::1]:3333";
            return false;
        }

        if (IPAddress.TryParse(hostPart, out var literal) && literal.AddressFamily == AddressFamily.InterNetwork
            && hostPart.Count(c => c == '.') == 3)
        {
            address = new DestinationAddress(hostPart, port, literal);
            error = null;
            return true;
        }

        if (Uri.CheckHostName(hostPart) != UriHostNameType.Dns)
        {
            error = $"'{text}' has an invalid host name '{hostPart}'";
            return false;
        }

        address = new DestinationAddress(hostPart, port, null);
        error = null;
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/>; for addresses already validated.</summary>
    public static DestinationAddress Parse(string? text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException($"Destination address {error}.");

    /// <summary>The addresses to try, in order: the literal, or the host name's current records.</summary>
    public async ValueTask<IPAddress[]> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Literal is not null)
        {
            return [Literal];
        }

        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        return addresses;
    }

    public bool Equals(DestinationAddress? other) =>
        other is not null && Port == other.Port && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as DestinationAddress);

    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Host), Port);

    public override string ToString() =>
        Literal?.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
