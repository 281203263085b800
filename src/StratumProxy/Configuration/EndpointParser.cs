using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace StratumProxy.Configuration;

/// <summary>Parses the <c>host:port</c> strings operators write (<c>0.0.0.0:3333</c>, <c>[::]:3333</c>, <c>*:3333</c>, <c>pool.local:3333</c>).</summary>
public static class EndpointParser
{
    /// <summary>Parses an endpoint; host names become a <see cref="DnsEndPoint"/>, <c>*</c> means every IPv4 and IPv6 address.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out EndPoint? endPoint)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon];
        if (!int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            endPoint = new IPEndPoint(v6, port);
            return true;
        }

        if (host == "*")
        {
            endPoint = new IPEndPoint(IPAddress.IPv6Any, port);
            return true;
        }

        if (host.Contains(':'))
        {
            // A bare IPv6 address must be bracketed, otherwise the port is ambiguous.
            return false;
        }

        if (IPAddress.TryParse(host, out var address))
        {
            endPoint = new IPEndPoint(address, port);
            return true;
        }

        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            return false;
        }

        endPoint = new DnsEndPoint(host, port);
        return true;
    }

    /// <summary>True when the endpoint only accepts connections from this machine.</summary>
    public static bool IsLoopback(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => IPAddress.IsLoopback(ip.Address),
        DnsEndPoint dns => string.Equals(dns.Host, "localhost", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>The port an endpoint binds.</summary>
    public static int PortOf(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Port,
        DnsEndPoint dns => dns.Port,
        _ => 0,
    };
}
