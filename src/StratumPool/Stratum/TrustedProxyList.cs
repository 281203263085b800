using System.Net;
using System.Net.Sockets;

namespace StratumPool.Stratum;

/// <summary>The addresses whose PROXY protocol headers are believed.</summary>
public sealed class TrustedProxyList
{
    private readonly IPNetwork[] _networks;

    public TrustedProxyList(IEnumerable<string> entries)
    {
        var list = new List<IPNetwork>();
        foreach (var entry in entries)
        {
            if (TryParseEntry(entry, out var network))
            {
                list.Add(network);
            }
        }

        if (list.Count == 0)
        {
            list.Add(new IPNetwork(IPAddress.Loopback, 8));
            list.Add(new IPNetwork(IPAddress.IPv6Loopback, 128));
        }

        _networks = [.. list];
    }

    public bool IsTrusted(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    public static bool TryParseEntry(string? entry, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(entry))
        {
            return false;
        }

        if (entry.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.TryParse(entry, out network);
        }

        if (IPAddress.TryParse(entry, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
