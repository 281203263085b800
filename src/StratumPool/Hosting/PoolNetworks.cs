using NBitcoin;

namespace StratumPool.Hosting;

/// <summary>The NBitcoin network whose address formats a <see cref="PoolNetwork"/> uses.</summary>
public static class PoolNetworks
{
    /// <summary>The devnet follows regtest's address formats (<c>bcrt1…</c>, <c>m…/n…</c>).</summary>
    public static Network ToNBitcoin(PoolNetwork network) => network switch
    {
        PoolNetwork.Mainnet => Network.Main,
        PoolNetwork.Testnet => Network.TestNet,
        PoolNetwork.Signet => Bitcoin.Instance.Signet,
        PoolNetwork.Regtest or PoolNetwork.Devnet => Network.RegTest,
        _ => throw new ArgumentOutOfRangeException(nameof(network), network, "Unknown network"),
    };

    /// <summary>Parses an address of <paramref name="network"/>; null when it is not one.</summary>
    public static BitcoinAddress? TryParseAddress(string? text, Network network)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 100)
        {
            return null;
        }

        try
        {
            return BitcoinAddress.Create(text, network);
        }
        catch (FormatException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
