using StratumProxy.Configuration;
using StratumProxy.Listeners;
using StratumProxy.Stratum;

namespace StratumProxy.Management;

/// <summary>Assembles the status API's view from the configuration, the routing state and the live sessions.</summary>
public sealed class StatusReportBuilder
{
    private readonly ProxyConfigState _config;
    private readonly SessionRegistry _sessions;
    private readonly ListenerEndpoints _endpoints;
    private readonly HashrateEstimator _hashrate;
    private readonly IDestinationStatusSource? _destinations;
    private readonly ICertificateStatusSource? _certificates;
    private readonly IEnumerable<IPoolStatusSource> _pools;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;

    public StatusReportBuilder(
        ProxyConfigState config,
        SessionRegistry sessions,
        ListenerEndpoints endpoints,
        HashrateEstimator hashrate,
        TimeProvider time,
        IDestinationStatusSource? destinations = null,
        ICertificateStatusSource? certificates = null,
        IEnumerable<IPoolStatusSource>? pools = null)
    {
        _certificates = certificates;
        _pools = pools ?? [];
        _config = config;
        _sessions = sessions;
        _endpoints = endpoints;
        _hashrate = hashrate;
        _destinations = destinations;
        _time = time;
        _startedAt = time.GetUtcNow();
    }

    public async Task<StatusReport> BuildAsync(CancellationToken cancellationToken)
    {
        var options = _config.Current;
        var sessions = _sessions.Sessions.ToList();
        var now = _time.GetUtcNow();
        var listeners = options.Listeners
            .Select(l => new ListenerStatus(
                l.Key,
                _endpoints.GetBoundEndPoint(l.Key)?.ToString() ?? l.Value.Endpoint,
                l.Value.Cluster ?? "",
                l.Value.Tls is not null,
                l.Value.AcceptProxyProtocol,
                sessions.Count(s => s.Listener == l.Key)))
            .ToList();
        var clusters = options.Clusters
            .Select(c => new ClusterStatus(
                c.Key,
                c.Value.LoadBalancingPolicy,
                c.Value.HashKey.ToString(),
                c.Value.Destinations.Select(d => DescribeDestination(c.Key, d.Key, d.Value, sessions)).ToList()))
            .ToList();
        var sessionStatus = sessions
            .OrderBy(s => s.Id)
            .Select(s => new SessionStatus(
                s.Id,
                s.ClientEndPoint.ToString(),
                s.Listener,
                s.Cluster,
                s.Destination,
                s.Worker,
                s.UserAgent,
                s.ExtraNonce1,
                s.StartedAt,
                s.Difficulty,
                s.JobId,
                Interlocked.Read(ref s.SharesAccepted),
                Interlocked.Read(ref s.SharesRejected),
                s.SharesUnanswered))
            .ToList();
        var certificates = _certificates?.GetCertificates() ?? [];
        var pools = new List<PoolSummary>();
        foreach (var source in _pools)
        {
            pools.AddRange(await source.GetPoolsAsync(cancellationToken));
        }

        return new StatusReport(now, now - _startedAt, sessions.Count, listeners, clusters, certificates, pools, sessionStatus);
    }

    public IReadOnlyList<WorkerStatus> BuildWorkers() =>
        _sessions.Sessions
            .Where(s => s.Worker is not null)
            .GroupBy(s => s.Worker!, StringComparer.Ordinal)
            .Select(g => new WorkerStatus(
                g.Key,
                g.Count(),
                g.Select(s => s.Destination ?? "").Distinct().ToList(),
                g.Max(s => s.Difficulty),
                g.Sum(s => Interlocked.Read(ref s.SharesAccepted)),
                g.Sum(s => Interlocked.Read(ref s.SharesRejected)),
                g.Min(s => s.StartedAt)))
            .OrderByDescending(w => w.SharesAccepted)
            .ToList();

    private DestinationStatus DescribeDestination(string cluster, string name, DestinationOptions options, List<ProxySession> sessions)
    {
        var live = _destinations?.Get(cluster, name);
        var active = sessions.Count(s => s.Cluster == cluster && s.Destination == name);
        return new DestinationStatus(
            name,
            options.Address,
            options.Weight,
            options.Backup,
            options.MaxConnections,
            live?.Health ?? "Unknown",
            live?.Available ?? true,
            live?.Draining ?? false,
            live?.HeldByOperator ?? false,
            live?.ActiveSessions ?? active,
            live?.TotalSessions ?? 0,
            live?.ConnectFailures ?? 0,
            _hashrate.Estimate(cluster, name));
    }
}
