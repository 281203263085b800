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
    /// <summary>The coinbase pays the pool's <see cref="ChainOptions.Address"/>; shares are accounted per worker.</summary>
    Pool,

    /// <summary>The coinbase pays the miner that finds the block (its user name is its address).</summary>
    Solo,
}

/// <summary>
/// The chain side of the <c>Pool</c> configuration section (bind with
/// <c>configuration.GetSection("Pool").Get&lt;ChainOptions&gt;()</c>); keys not listed here belong to the server side.
/// </summary>
public sealed record ChainOptions
{
    public const string SectionName = "Pool";

    /// <summary><c>Mainnet</c>, <c>Testnet</c>, <c>Signet</c>, <c>Regtest</c> or <c>Devnet</c> (built in).</summary>
    public ChainNetwork Network { get; init; } = ChainNetwork.Devnet;

    /// <summary>Settings of the built-in devnet, used when <see cref="Network"/> is <c>Devnet</c>.</summary>
    public DevnetOptions Devnet { get; init; } = new();

    /// <summary><c>Pool</c> (default) or <c>Solo</c>.</summary>
    public PaymentMode PaymentMode { get; init; } = PaymentMode.Pool;

    /// <summary>
    /// The pool's payout address for the network. May be omitted on the devnet, where a deterministic
    /// devnet address (<see cref="ChainNetworkParameters.DevnetAddress"/>) is used.
    /// </summary>
    public string? Address { get; init; }

    /// <summary>Text written into every coinbase script (truncated to what fits in the 100-byte scriptSig).</summary>
    public string CoinbaseTag { get; init; } = "/stratum-proxy/";

    /// <summary>bitcoind-compatible JSON-RPC daemons, tried in order (failover). Ignored on the devnet.</summary>
    public DaemonEndpointOptions[] Daemons { get; init; } = [];

    /// <summary>How often the daemon is polled for a new block.</summary>
    public TimeSpan BlockRefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A fresh job (same block, new time) is broadcast after this long without a new block.</summary>
    public TimeSpan JobRebroadcastTimeout { get; init; } = TimeSpan.FromSeconds(55);

    /// <summary>Size in bytes of the miner's extranonce2 (4 or 8); extranonce1 is always 4 bytes.</summary>
    public int ExtraNonce2Size { get; init; } = 4;

    /// <summary>How many jobs of the current block stay valid for shares.</summary>
    public int MaxRecentJobs { get; init; } = 8;

    /// <summary>Every error in these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ExtraNonce2Size is not (4 or 8))
        {
            errors.Add($"Pool:ExtraNonce2Size must be 4 or 8 (was {ExtraNonce2Size}).");
        }

        if (BlockRefreshInterval <= TimeSpan.Zero)
        {
            errors.Add("Pool:BlockRefreshInterval must be positive.");
        }

        if (JobRebroadcastTimeout <= TimeSpan.Zero)
        {
            errors.Add("Pool:JobRebroadcastTimeout must be positive.");
        }

        if (MaxRecentJobs < 1)
        {
            errors.Add("Pool:MaxRecentJobs must be at least 1.");
        }

        if (Network == ChainNetwork.Devnet)
        {
            if (!(Devnet.Difficulty > 0) || double.IsInfinity(Devnet.Difficulty))
            {
                errors.Add("Pool:Devnet:Difficulty must be a positive number.");
            }
        }
        else
        {
            if (Daemons.Length == 0)
            {
                errors.Add($"Pool:Daemons needs at least one daemon for network {Network}.");
            }

            // In Solo mode too: the coinbase of a session without a valid address of its own pays the pool.
            if (string.IsNullOrWhiteSpace(Address))
            {
                errors.Add($"Pool:Address is required on {Network}.");
            }

            for (var i = 0; i < Daemons.Length; i++)
            {
                if (!Uri.TryCreate(Daemons[i].Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    errors.Add($"Pool:Daemons:{i}:Url must be an absolute http(s) URL.");
                }
            }
        }

        if (!string.IsNullOrWhiteSpace(Address))
        {
            try
            {
                ChainNetworkParameters.For(Network).ParsePayout(Address);
            }
            catch (FormatException ex)
            {
                errors.Add($"Pool:Address: {ex.Message}");
            }
        }

        return errors;
    }
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
