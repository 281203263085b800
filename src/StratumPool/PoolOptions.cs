using StratumPool.Chain;

namespace StratumPool;

/// <summary>
/// The <c>Pool</c> configuration section: what operators write in <c>appsettings.json</c>, for the Stratum server and
/// the chain side (network, daemons, coinbase, jobs) alike.
/// </summary>
public sealed record PoolOptions
{
    public const string SectionName = "Pool";

    /// <summary>Run the bundled pool (in the proxy host: in-process beside the proxy).</summary>
    public bool Enabled { get; init; }

    /// <summary>Identifier in the API (<c>/api/pools/{id}</c>); defaults to the coin's symbol in lower case (<c>btc</c>).</summary>
    public string? Id { get; init; }

    /// <summary>Stratum listener, <c>host:port</c> (e.g. <c>127.0.0.1:13333</c> or <c>[::]:3333</c>).</summary>
    public string Endpoint { get; init; } = "127.0.0.1:13333";

    /// <summary>Only <c>Bitcoin</c> (SHA-256d) today.</summary>
    public string Coin { get; init; } = "Bitcoin";

    /// <summary><c>Mainnet</c>, <c>Testnet</c>, <c>Signet</c>, <c>Regtest</c> (a bitcoind-compatible daemon) or <c>Devnet</c> (built in).</summary>
    public ChainNetwork Network { get; init; } = ChainNetwork.Devnet;

    public DevnetOptions Devnet { get; init; } = new();

    /// <summary><c>Pool</c>: the coinbase pays <see cref="Address"/>; <c>Solo</c>: it pays the finder's username.</summary>
    public PaymentMode PaymentMode { get; init; } = PaymentMode.Pool;

    /// <summary>Pool payout address for the network; optional on the devnet.</summary>
    public string? Address { get; init; }

    /// <summary>Text put in the coinbase script after the height and extranonce.</summary>
    public string CoinbaseTag { get; init; } = "/stratum-proxy/";

    /// <summary>bitcoind-compatible JSON-RPC endpoints, tried in order (failover); unused on the devnet.</summary>
    public DaemonEndpointOptions[] Daemons { get; init; } = [];

    /// <summary>How often the daemon is polled for a new block.</summary>
    public TimeSpan BlockRefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A job is sent again after this long without a new one, so miners keep receiving work.</summary>
    public TimeSpan JobRebroadcastTimeout { get; init; } = TimeSpan.FromSeconds(55);

    public DifficultyOptions Difficulty { get; init; } = new();

    public StorageOptions Storage { get; init; } = new();

    public ApiOptions Api { get; init; } = new();

    /// <summary>Addresses or CIDRs whose PROXY protocol headers (v1 or v2) are believed; loopback when empty.</summary>
    public List<string> TrustedProxies { get; init; } = [];

    /// <summary>Accept a PROXY protocol header from <see cref="TrustedProxies"/> on the Stratum listener.</summary>
    public bool AcceptProxyProtocol { get; init; } = true;

    /// <summary>Extranonce2 size given to miners: 4 (default) or 8 bytes; extranonce1 is always 4 bytes.</summary>
    public int ExtraNonce2Size { get; init; } = 4;

    /// <summary>How many jobs of the current block stay valid for shares.</summary>
    public int MaxRecentJobs { get; init; } = 8;

    /// <summary>Lowest difficulty a miner may ask for with <c>mining.suggest_difficulty</c> or BIP310 <c>minimum-difficulty</c>.</summary>
    public double MinSuggestedDifficulty { get; init; } = 0.0001;

    /// <summary>A session receives a job at least this often (minerd drops a connection silent for 120 s).</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long shares at the previous difficulty are still accepted after a retarget.</summary>
    public TimeSpan PreviousDifficultyGrace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest Stratum line accepted from a miner; a longer one closes the session.</summary>
    public int MaxLineBytes { get; init; } = 64 * 1024;

    /// <summary>A connection that has not subscribed within this time is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Confirmations after which a found block counts as confirmed (coinbase maturity on Bitcoin).</summary>
    public int BlockConfirmations { get; init; } = 100;

    /// <summary>How often pending blocks are checked against the daemon.</summary>
    public TimeSpan BlockConfirmationInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Window over which pool and miner hashrates are computed from accepted shares.</summary>
    public TimeSpan HashrateWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The identifier used in the API, derived from the coin when <see cref="Id"/> is not set.</summary>
    public string EffectiveId => string.IsNullOrWhiteSpace(Id) ? CoinSymbol(Coin).ToLowerInvariant() : Id;

    /// <summary>Ticker symbol of a coin name, for display and the default pool id.</summary>
    public static string CoinSymbol(string coin) =>
        coin.Equals("Bitcoin", StringComparison.OrdinalIgnoreCase) ? "BTC" : coin.ToUpperInvariant();
}

/// <summary>Share difficulty given to miners.</summary>
public sealed record DifficultyOptions
{
    /// <summary>Difficulty of a new session.</summary>
    public double Initial { get; init; } = 1;

    /// <summary>Per-session variable difficulty; off when absent.</summary>
    public VarDiffOptions? VarDiff { get; init; } = new();
}

/// <summary>NOMP's vardiff: aim for one share every <see cref="TargetTime"/> seconds.</summary>
public sealed record VarDiffOptions
{
    public double MinDiff { get; init; } = 0.001;

    public double MaxDiff { get; init; } = 1_000_000;

    /// <summary>Wanted seconds between shares.</summary>
    public double TargetTime { get; init; } = 15;

    /// <summary>Seconds between retargets.</summary>
    public double RetargetTime { get; init; } = 90;

    /// <summary>Allowed deviation from <see cref="TargetTime"/>, in percent, before the difficulty changes.</summary>
    public double VariancePercent { get; init; } = 30;
}

/// <summary>Where shares and blocks are kept.</summary>
public sealed record StorageOptions
{
    /// <summary>SQLite connection string (a relative path is relative to the working directory).</summary>
    public string ConnectionString { get; init; } = "Data Source=data/pool.db";

    /// <summary>Most shares written in one commit.</summary>
    public int MaxBatchSize { get; init; } = 512;
}

/// <summary>The HTTP JSON API.</summary>
public sealed record ApiOptions
{
    /// <summary><c>host:port</c>; the API is off when empty.</summary>
    public string? Endpoint { get; init; } = "127.0.0.1:8080";
}
