using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace StratumProxy.Configuration;

/// <summary>Parses addresses and CIDR ranges (<c>10.0.0.5</c>, <c>10.0.0.0/8</c>, <c>::1</c>, <c>2001:db8::/32</c>).</summary>
public static class AddressRangeParser
{
    public static bool TryParse([NotNullWhen(true)] string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains('/'))
        {
            return IPNetwork.TryParse(text, out network);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}
