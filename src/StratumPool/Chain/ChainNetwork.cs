using System.Text;

namespace StratumPool.Chain;

/// <summary>Which chain the pool mines on.</summary>
public enum ChainNetwork
{
    /// <summary>The built-in in-process devnet (regtest-like rules, fixed difficulty).</summary>
    Devnet,

    /// <summary>Bitcoin mainnet through a bitcoind-compatible daemon.</summary>
    Mainnet,

    /// <summary>Bitcoin testnet3 through a bitcoind-compatible daemon.</summary>
    Testnet,

    /// <summary>Bitcoin signet through a bitcoind-compatible daemon.</summary>
    Signet,

    /// <summary>Bitcoin regtest through a bitcoind-compatible daemon (bitcoind or bcoin).</summary>
    Regtest,
}

/// <summary>Who the coinbase pays.</summary>
public enum PaymentMode
{
    /// <summary>The coinbase pays the pool's <see cref="PoolOptions.Address"/>; shares are accounted per worker.</summary>
    Pool,

    /// <summary>The coinbase pays the miner that finds the block (its user name is its address).</summary>
    Solo,
}

/// <summary>The built-in devnet.</summary>
public sealed record DevnetOptions
{
    /// <summary>
    /// Fixed block difficulty (difficulty-1 target / this). Below 1 the target is easier than difficulty 1:
    /// 0.1 means a ~13 MH/s core finds a block every ~30 s.
    /// </summary>
    public double Difficulty { get; init; } = 0.1;

    /// <summary>Loopback endpoint of the devnet's JSON-RPC service; port 0 picks a free port.</summary>
    public string Endpoint { get; init; } = "127.0.0.1:0";
}

/// <summary>One bitcoind-compatible JSON-RPC daemon.</summary>
public sealed record DaemonEndpointOptions
{
    public string Url { get; init; } = "http://127.0.0.1:8332";

    public string? User { get; init; }

    public string? Password { get; init; }

    // Keeps the password out of logs and exception messages.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url).Append(", User = ").Append(User).Append(", Password = ***");
        return true;
    }
}
