using System.Security.Cryptography;
using NBitcoin;
using StratumPool.Jobs;

namespace StratumPool.Chain;

/// <summary>Address encoding and payout scripts of one network, from NBitcoin's network parameters.</summary>
public sealed class ChainNetworkParameters
{
    private static readonly Lazy<string> DevnetAddressValue = new(() =>
    {
        // A fixed key: the devnet's coins are worthless, what matters is a stable, valid regtest address.
        var key = new Key(SHA256.HashData("stratum-pool devnet payout key"u8));
        return key.PubKey.GetAddress(ScriptPubKeyType.Segwit, NBitcoin.Network.RegTest).ToString();
    });

    private ChainNetworkParameters(ChainNetwork network, Network nbitcoinNetwork)
    {
        Network = network;
        NBitcoinNetwork = nbitcoinNetwork;
    }

    public ChainNetwork Network { get; }

    /// <summary>NBitcoin's parameters; the devnet uses regtest's address encoding (<c>bcrt1…</c>, <c>m…/n…</c>, <c>2…</c>).</summary>
    public Network NBitcoinNetwork { get; }

    /// <summary>The deterministic payout address used on the devnet when <c>Pool:Address</c> is omitted.</summary>
    public static string DevnetAddress => DevnetAddressValue.Value;

    public static ChainNetworkParameters For(ChainNetwork network) => network switch
    {
        ChainNetwork.Mainnet => new(network, NBitcoin.Network.Main),
        ChainNetwork.Testnet => new(network, NBitcoin.Network.TestNet),
        ChainNetwork.Signet => new(network, Bitcoin.Instance.Signet),
        ChainNetwork.Regtest or ChainNetwork.Devnet => new(network, NBitcoin.Network.RegTest),
        _ => throw new ArgumentOutOfRangeException(nameof(network), network, "Unknown network."),
    };

    /// <summary>Parses <paramref name="address"/> for this network; throws <see cref="FormatException"/> with a clear reason.</summary>
    public PayoutTarget ParsePayout(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var trimmed = address.Trim();
        try
        {
            var parsed = BitcoinAddress.Create(trimmed, NBitcoinNetwork);
            return new PayoutTarget(trimmed, parsed.ScriptPubKey.ToBytes());
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException)
        {
            throw new FormatException($"'{Shorten(trimmed)}' is not a valid {Network} address.", ex);
        }
    }

    /// <summary>True and the payout when <paramref name="address"/> is valid for this network.</summary>
    public bool TryParsePayout(string? address, out PayoutTarget? payout)
    {
        payout = null;
        if (string.IsNullOrWhiteSpace(address) || address.Length > 128)
        {
            return false;
        }

        try
        {
            payout = ParsePayout(address);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The pool's own payout: the configured address, or the devnet address on the devnet.</summary>
    public PayoutTarget ResolvePoolPayout(string? configuredAddress)
    {
        if (!string.IsNullOrWhiteSpace(configuredAddress))
        {
            return ParsePayout(configuredAddress);
        }

        if (Network == ChainNetwork.Devnet)
        {
            return ParsePayout(DevnetAddress);
        }

        // Solo mode without a pool address still needs a coinbase for sessions without a valid address.
        throw new FormatException($"Pool:Address is required on {Network}.");
    }

    private static string Shorten(string value) => value.Length <= 90 ? value : value[..90] + "…";
}
