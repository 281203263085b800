using System.Text.Json;
using System.Text.Json.Serialization;

namespace StratumProxy.Management;

/// <summary>The body of <c>GET /api/status</c>.</summary>
public sealed record StatusReport(
    DateTimeOffset GeneratedAt,
    TimeSpan Uptime,
    int ActiveSessions,
    IReadOnlyList<ListenerStatus> Listeners,
    IReadOnlyList<ClusterStatus> Clusters,
    IReadOnlyList<CertificateStatus> Certificates,
    IReadOnlyList<PoolSummary> Pools,
    IReadOnlyList<SessionStatus> Sessions);

public sealed record ListenerStatus(string Name, string? Endpoint, string Cluster, bool Tls, bool AcceptProxyProtocol, int ActiveSessions);

public sealed record ClusterStatus(string Name, string LoadBalancingPolicy, string HashKey, IReadOnlyList<DestinationStatus> Destinations);

public sealed record DestinationStatus(
    string Name,
    string? Address,
    int Weight,
    bool Backup,
    int MaxConnections,
    string Health,
    bool Available,
    bool Draining,
    bool HeldByOperator,
    int ActiveSessions,
    long TotalSessions,
    long ConnectFailures,
    double Hashrate);

public sealed record SessionStatus(
    long Id,
    string Client,
    string Listener,
    string Cluster,
    string? Destination,
    string? Worker,
    string? UserAgent,
    string? ExtraNonce1,
    DateTimeOffset Since,
    double Difficulty,
    string? JobId,
    long SharesAccepted,
    long SharesRejected,
    long SharesUnanswered);

/// <summary>
/// A certificate a TLS listener serves for one host. <paramref name="Configured"/> is the listener's source
/// (<c>acme</c>, <c>file</c>, <c>self-signed</c>); <paramref name="Source"/> is where the one served now came from, which
/// differs while an ACME host still serves its self-signed fallback.
/// </summary>
public sealed record CertificateStatus(
    string Host,
    IReadOnlyList<string> Listeners,
    string Configured,
    string? Source,
    string? Subject,
    string? Issuer,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    string? Thumbprint,
    DateTimeOffset? RenewAt,
    int RenewalFailures,
    string? LastRenewalError);

/// <summary>The TLS layer's certificates, for the status API.</summary>
public interface ICertificateStatusSource
{
    IReadOnlyList<CertificateStatus> GetCertificates();
}

/// <summary>A pool's own view of itself (its hash rate from the shares it accepted, its chain), for the status API.</summary>
public sealed record PoolSummary(
    string Id,
    string Coin,
    string Network,
    double PoolHashrate,
    double SharesPerSecond,
    int ConnectedMiners,
    int ConnectedWorkers,
    double NetworkDifficulty,
    double NetworkHashrate,
    long BlockHeight,
    bool DaemonConnected,
    long TotalBlocks,
    DateTimeOffset? LastBlockFound,
    string Source,
    string? Error = null);

/// <summary>Pools whose own figures the status API shows: the bundled pool when it runs in this process, and the pool APIs an operator lists.</summary>
public interface IPoolStatusSource
{
    Task<IReadOnlyList<PoolSummary>> GetPoolsAsync(CancellationToken cancellationToken);
}

/// <summary>The body of <c>GET /api/workers</c>: sessions aggregated by worker.</summary>
public sealed record WorkerStatus(string Worker, int Sessions, IReadOnlyList<string> Destinations, double Difficulty, long SharesAccepted, long SharesRejected, DateTimeOffset Since);

/// <summary>What the routing layer reports of one destination for the status API.</summary>
public sealed record DestinationHealthReport(string Health, bool Available, bool Draining, bool HeldByOperator, int ActiveSessions, long TotalSessions, long ConnectFailures);

/// <summary>Source of live destination state (health, counts); the routing layer implements it.</summary>
public interface IDestinationStatusSource
{
    DestinationHealthReport? Get(string cluster, string destination);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false, UseStringEnumConverter = true)]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(IReadOnlyList<WorkerStatus>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ManagementJsonContext : JsonSerializerContext;
