using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace StratumPool.Hosting;

/// <summary>Parses the <c>host:port</c> endpoints of the configuration (<c>0.0.0.0:3333</c>, <c>[::]:3333</c>, <c>localhost:8080</c>).</summary>
public static class NetworkEndpoint
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port is >= 0 and <= 65535 && text.Contains(':', StringComparison.Ordinal))
        {
            endPoint = parsed;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        if (text[..colon].Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            endPoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        return false;
    }
}
