namespace StratumProxy.Configuration;

/// <summary>The <c>Proxy</c> configuration section: what operators write in <c>appsettings.json</c>.</summary>
public sealed record ProxyOptions
{
    public const string SectionName = "Proxy";

    /// <summary>Stratum ports, by name.</summary>
    public Dictionary<string, ListenerOptions> Listeners { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Groups of pool nodes, by name.</summary>
    public Dictionary<string, ClusterOptions> Clusters { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public LimitsOptions Limits { get; init; } = new();

    public ManagementOptions Management { get; init; } = new();

    /// <summary>NOMP-style banning of addresses that send invalid shares or malformed lines.</summary>
    public BanningOptions Banning { get; init; } = new();

    /// <summary>The country database used by listeners' <c>Geo</c> filters.</summary>
    public GeoDatabaseOptions Geo { get; init; } = new();

    public MetricsOptions Metrics { get; init; } = new();

    /// <summary>Giving the heap back to the system once a burst of new connections is over.</summary>
    public MemoryOptions Memory { get; init; } = new();

    /// <summary>ACME certificate issuance for listeners with <c>"Tls": { "Certificate": "Acme" }</c>.</summary>
    public AcmeOptions? Acme { get; init; }

    /// <summary>Where state that must survive a restart (bans, self-signed certificates) is kept.</summary>
    public string DataPath { get; init; } = "data";
}

/// <summary>One Stratum port.</summary>
public sealed record ListenerOptions
{
    /// <summary><c>host:port</c>, e.g. <c>0.0.0.0:3333</c> or <c>[::]:3333</c>.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Name of the cluster the listener's sessions are forwarded to.</summary>
    public string? Cluster { get; init; }

    /// <summary>Expect a PROXY protocol header (v1 or v2) from a trusted L4 balancer in front.</summary>
    public bool AcceptProxyProtocol { get; init; }

    /// <summary>Addresses or CIDRs whose PROXY headers are believed; loopback when empty.</summary>
    public List<string> TrustedProxies { get; init; } = [];

    /// <summary>Overrides <see cref="LimitsOptions.MaxConnectionsPerIp"/> when set; 0 means unlimited.</summary>
    public int? MaxConnectionsPerIp { get; init; }

    /// <summary>Overrides <see cref="LimitsOptions.NewConnectionsPerIpPerMinute"/> when set; 0 means unlimited.</summary>
    public int? NewConnectionsPerIpPerMinute { get; init; }

    /// <summary>TLS on the socket (<c>stratum+ssl</c>, <c>stratum+tls</c>, <c>stratum+tcps</c>); plain TCP when absent.</summary>
    public TlsListenerOptions? Tls { get; init; }

    public GeoFilterOptions? Geo { get; init; }
}

public sealed record ClusterOptions
{
    /// <summary><c>LeastConnections</c>, <c>RoundRobin</c>, <c>PowerOfTwoChoices</c>, <c>Hash</c> or <c>First</c>.</summary>
    public string LoadBalancingPolicy { get; init; } = "LeastConnections";

    /// <summary>What <c>Hash</c> hashes: <c>ClientIp</c> or <c>Worker</c>.</summary>
    public HashKeyKind HashKey { get; init; } = HashKeyKind.ClientIp;

    /// <summary>PROXY header sent to destinations carrying the miner's address.</summary>
    public ProxyProtocolVersion ProxyProtocol { get; init; } = ProxyProtocolVersion.None;

    /// <summary>Overall budget for reaching a destination, retries to the next one included.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// With <c>"HashKey": "Worker"</c>: how long to wait for <c>mining.authorize</c> before routing by client address
    /// (miners that wait for their subscribe answer before authorizing would otherwise never send it).
    /// </summary>
    public TimeSpan WorkerRoutingWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Send a new job (<c>mining.notify</c>) to every miner of a pool node as soon as its first copy arrives, rather
    /// than as the pool writes it to each connection in turn; each miner's own copy is then dropped. Only done while
    /// the node gives its miners the same jobs (see <see cref="StratumProxy.Stratum.NotifyBroadcast"/>); off relays every line as
    /// the pool sends it.
    /// </summary>
    public bool EarlyNotify { get; init; } = true;

    public HealthCheckOptions HealthCheck { get; init; } = new();

    public Dictionary<string, DestinationOptions> Destinations { get; init; } = new(StringComparer.OrdinalIgnoreCase);
}

public enum HashKeyKind
{
    ClientIp,
    Worker,
}

public enum ProxyProtocolVersion
{
    None,
    V1,
    V2,
}

public sealed record DestinationOptions
{
    /// <summary><c>host:port</c> of the pool node.</summary>
    public string? Address { get; init; }

    /// <summary>Relative share of new sessions; at least 1.</summary>
    public int Weight { get; init; } = 1;

    /// <summary>Used only while no primary destination is available (nginx <c>backup</c>).</summary>
    public bool Backup { get; init; }

    /// <summary>Most sessions at once; 0 means unlimited (nginx <c>max_conns</c>).</summary>
    public int MaxConnections { get; init; }
}

public sealed record HealthCheckOptions
{
    public ActiveHealthCheckOptions Active { get; init; } = new();

    public PassiveHealthCheckOptions Passive { get; init; } = new();
}

public sealed record ActiveHealthCheckOptions
{
    public bool Enabled { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Tcp</c> (connect only) or <c>Stratum</c> (subscribe and expect a result).</summary>
    public HealthProbeKind Probe { get; init; } = HealthProbeKind.Tcp;

    /// <summary>With the Stratum probe: also authorize and expect a <c>mining.notify</c> within the timeout.</summary>
    public bool ExpectJob { get; init; }

    /// <summary>Worker name the Stratum probe authorizes with when <see cref="ExpectJob"/> is set.</summary>
    public string ProbeWorker { get; init; } = "stratum-proxy-probe";

    public string ProbePassword { get; init; } = "x";

    /// <summary>Consecutive failures that make a destination unhealthy.</summary>
    public int UnhealthyThreshold { get; init; } = 2;

    /// <summary>Consecutive successes that make it healthy again.</summary>
    public int HealthyThreshold { get; init; } = 2;
}

public enum HealthProbeKind
{
    Tcp,
    Stratum,
}

/// <summary>nginx's <c>max_fails</c>/<c>fail_timeout</c>.</summary>
public sealed record PassiveHealthCheckOptions
{
    public bool Enabled { get; init; } = true;

    public int MaxFailures { get; init; } = 3;

    public TimeSpan FailTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

public sealed record LimitsOptions
{
    /// <summary>Sessions at once over all listeners; 0 means unlimited.</summary>
    public int MaxConnections { get; init; } = 100_000;

    /// <summary>Sessions at once from one address; 0 means unlimited.</summary>
    public int MaxConnectionsPerIp { get; init; }

    /// <summary>New connections a minute from one address; 0 means unlimited.</summary>
    public int NewConnectionsPerIpPerMinute { get; init; }

    /// <summary>Time for a miner's first complete line (and the TLS handshake).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A session with no bytes either way for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest line either way; Bitcoin Cash and PPLNS pools send 8-9 KB notifies.</summary>
    public int MaxLineBytes { get; init; } = 65536;

    /// <summary>On shutdown or when a destination is removed: how long sessions may finish before they are closed.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The connection set-up allocates more than a session keeps; the garbage of a burst (a reconnect storm after a pool
/// restart) stays committed while the proxy idles, because an idle proxy allocates nothing that would trigger a
/// collection. Once the heap has grown by <see cref="TrimAfterGrowthMiB"/> and allocation has then been quiet for
/// <see cref="QuietPeriod"/>, a full compacting collection returns it.
/// </summary>
public sealed record MemoryOptions
{
    public bool TrimWhenQuiet { get; init; } = true;

    /// <summary>How long allocation must stay below a trickle before the heap is trimmed.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How much the heap's older generations (garbage promoted there included) must have grown since the last trim
    /// before another is worth its pause (about 10 ms per 1 000 open sessions).
    /// </summary>
    public int TrimAfterGrowthMiB { get; init; } = 8;

    /// <summary>
    /// Allocation below this rate counts as quiet. An idle proxy allocates next to nothing, forwarding allocates
    /// nothing per line, and a <c>/metrics</c> scrape or a few new miners a second stay under the default.
    /// </summary>
    public int QuietBelowKiBPerSecond { get; init; } = 1024;

    /// <summary>
    /// How long a due trim may wait for a pause in relaying (the event loops idle for 20 ms), so that its pause falls
    /// between two notify broadcasts rather than inside one and delays no miner's new job. Zero trims at once.
    /// </summary>
    public TimeSpan MaxWaitForTrafficGap { get; init; } = TimeSpan.FromSeconds(10);
}

public sealed record ManagementOptions
{
    /// <summary>Where <c>/metrics</c>, <c>/healthz</c>, <c>/api/*</c> and the status page are served.</summary>
    public string Endpoint { get; init; } = "127.0.0.1:9100";

    /// <summary>Bearer token for <c>/api/*</c> mutations; required when the endpoint is not on loopback.</summary>
    public string? Token { get; init; }

    /// <summary>Put <c>/metrics</c> behind the token too.</summary>
    public bool ProtectMetrics { get; init; }

    /// <summary>
    /// Pool APIs in Miningcore's shape (<c>http://pool-node:4000/api/pools</c>) whose own figures (pool hash rate,
    /// miners, height) the status page shows next to the proxy's; the bundled pool is shown without being listed.
    /// </summary>
    public List<string> PoolApis { get; init; } = [];
}

public sealed record BanningOptions
{
    public bool Enabled { get; init; }

    public TimeSpan BanTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Rejected shares, as a percentage of all shares, above which an address is banned.</summary>
    public double InvalidPercent { get; init; } = 50;

    /// <summary>Shares an address must have sent before <see cref="InvalidPercent"/> is checked.</summary>
    public int CheckThreshold { get; init; } = 500;

    /// <summary>Malformed lines from one address that get it banned; 0 disables the rule.</summary>
    public int MalformedLinesBeforeBan { get; init; } = 3;
}

public sealed record GeoDatabaseOptions
{
    /// <summary>Path to a MaxMind DB (<c>.mmdb</c>) country database.</summary>
    public string? Database { get; init; }
}

/// <summary>A listener's country filter, decided at accept time before TLS.</summary>
public sealed record GeoFilterOptions
{
    /// <summary>ISO 3166 codes allowed; empty means every country not denied.</summary>
    public List<string> AllowCountries { get; init; } = [];

    public List<string> DenyCountries { get; init; } = [];

    /// <summary>What to do with addresses the database does not know: <c>Allow</c> or <c>Deny</c>.</summary>
    public GeoUnknownAction Unknown { get; init; } = GeoUnknownAction.Allow;
}

public enum GeoUnknownAction
{
    Allow,
    Deny,
}

public sealed record MetricsOptions
{
    /// <summary>Per-worker series (a <c>worker</c> label); off by default.</summary>
    public bool PerWorker { get; init; }

    /// <summary>Most workers given their own series; the rest are counted under <c>worker="other"</c>.</summary>
    public int MaxWorkerSeries { get; init; } = 1000;
}

/// <summary>A listener's <c>Tls</c> section.</summary>
public sealed record TlsListenerOptions
{
    /// <summary><c>Acme</c>, <c>File</c> or <c>SelfSigned</c>.</summary>
    public CertificateSource Certificate { get; init; } = CertificateSource.SelfSigned;

    /// <summary>Host names served; SNI picks among them, no SNI gets the first.</summary>
    public List<string> Hosts { get; init; } = [];

    /// <summary><c>Tls12</c>, <c>Tls13</c>; older versions are refused.</summary>
    public List<string> Protocols { get; init; } = [];

    /// <summary>With <c>File</c>: PEM chain or PFX.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>With <c>File</c> and a PEM chain: the private key.</summary>
    public string? KeyPath { get; init; }

    /// <summary>With <c>File</c> and a PFX: its password.</summary>
    public string? Password { get; init; }
}

public enum CertificateSource
{
    SelfSigned,
    File,
    Acme,
}

/// <summary>The proxy's <c>Acme</c> section.</summary>
public sealed record AcmeOptions
{
    public string DirectoryUrl { get; init; } = "https://acme-v02.api.letsencrypt.org/directory";

    public string? Email { get; init; }

    public bool AcceptTermsOfService { get; init; }

    /// <summary><c>TlsAlpn01</c> (on the TLS stratum port) or <c>Http01</c> (on <see cref="HttpChallengeEndpoint"/>).</summary>
    public AcmeChallengeKind Challenge { get; init; } = AcmeChallengeKind.TlsAlpn01;

    public string HttpChallengeEndpoint { get; init; } = "0.0.0.0:80";

    public string StoragePath { get; init; } = "data/acme";

    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromDays(30);

    /// <summary>PEM file trusted for the directory's own HTTPS (e.g. a test CA); the system store when null.</summary>
    public string? DirectoryCertificateAuthority { get; init; }

    /// <summary>External account binding key id, for CAs that require one.</summary>
    public string? EabKeyId { get; init; }

    /// <summary>External account binding HMAC key, base64url.</summary>
    public string? EabHmacKey { get; init; }
}

public enum AcmeChallengeKind
{
    TlsAlpn01,
    Http01,
}
