using System.Net;
using StratumProxy.Configuration;

namespace StratumProxy.ProxyProtocol;

/// <summary>The addresses whose PROXY headers are believed; loopback only when none are configured.</summary>
public sealed class TrustedProxyList
{
    private readonly IPNetwork[] _networks;
    private readonly bool _loopbackOnly;

    public TrustedProxyList(IReadOnlyList<string> entries)
    {
        _loopbackOnly = entries.Count == 0;
        _networks = entries
            .Select(e => AddressRangeParser.TryParse(e, out var network) ? network : throw new ProxyConfigurationException($"'{e}' is not an address or CIDR range."))
            .ToArray();
    }

    public bool IsTrusted(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (_loopbackOnly)
        {
            return IPAddress.IsLoopback(address);
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
}
