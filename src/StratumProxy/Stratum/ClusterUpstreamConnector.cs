using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Stratum.Transport.EventLoop;
using StratumProxy.Configuration;
using StratumProxy.Health;
using StratumProxy.Management;
using StratumProxy.Routing;

namespace StratumProxy.Stratum;

/// <summary>
/// The forwarder's way into the routing layer: looks the cluster up, builds the routing key from the cluster's
/// <c>HashKey</c>, connects through <see cref="DestinationConnector"/> and reports early closes to passive health.
/// </summary>
public sealed class ClusterUpstreamConnector : IUpstreamConnector, IDestinationStatusSource
{
    private readonly ClusterRegistry _clusters;
    private readonly DestinationConnector _connector;
    private readonly PassiveHealthMonitor _passiveHealth;
    private readonly ProxyConfigState _config;
    private readonly TimeProvider _time;
    private readonly SessionRegistry _sessions;
    private readonly ConditionalWeakTable<DestinationState, DrainWatch> _watches = new();
    private readonly ConcurrentDictionary<DrainWatch, byte> _draining = new();

    public ClusterUpstreamConnector(ClusterRegistry clusters, DestinationConnector connector, PassiveHealthMonitor passiveHealth, ProxyConfigState config, TimeProvider time, SessionRegistry sessions)
    {
        _clusters = clusters;
        _connector = connector;
        _passiveHealth = passiveHealth;
        _config = config;
        _time = time;
        _sessions = sessions;
    }

    public async ValueTask<UpstreamLease?> ConnectAsync(string cluster, IPAddress client, string? worker, CancellationToken cancellationToken)
    {
        if (!_clusters.TryGetCluster(cluster, out var state))
        {
            return null;
        }

        var key = RoutingKey.For(state.Model.Options.HashKey, client, worker);
        if (!key.HasValue && worker is null)
        {
            key = RoutingKey.FromClientAddress(client);
        }

        try
        {
            var connection = await _connector.ConnectAsync(state, key, cancellationToken);
            return new Lease(connection, _passiveHealth, Watch(connection.Destination));
        }
        catch (NoDestinationException)
        {
            return null;
        }
    }

    public DestinationHealthReport? Get(string cluster, string destination)
    {
        if (!_clusters.TryGetCluster(cluster, out var state))
        {
            return null;
        }

        var match = state.Model.FindDestination(destination);
        if (match is null)
        {
            return null;
        }

        var now = _time.GetUtcNow().UtcTicks;
        return new DestinationHealthReport(
            match.ActiveHealth.ToString(),
            match.IsAvailable(now),
            match.IsDraining,
            match.IsHeldByOperator,
            match.ActiveSessions,
            match.TotalSessions,
            match.ConnectFailures);
    }

    /// <summary>
    /// A destination removed by a reload drains: its sessions may finish for <c>DrainTimeout</c>, then close. One
    /// watch per destination, not a registration per session: the sessions on it are found in the registry when
    /// the time is over.
    /// </summary>
    private DrainWatch Watch(DestinationState destination)
    {
        if (_watches.TryGetValue(destination, out var watch))
        {
            return watch;
        }

        lock (_watches)
        {
            if (!_watches.TryGetValue(destination, out watch))
            {
                watch = new DrainWatch(this);
                _watches.Add(destination, watch);
                destination.DrainRequested.UnsafeRegister(static state => ((DrainWatch)state!).Start(), watch);
            }

            return watch;
        }
    }

    private void CloseDrained(DrainWatch watch)
    {
        _draining.TryRemove(watch, out _);
        foreach (var session in _sessions.Sessions)
        {
            if (session.Upstream is Lease lease && lease.Watch == watch)
            {
                session.Abort(CloseReasons.Drained);
            }
        }
    }

    private sealed class DrainWatch(ClusterUpstreamConnector owner)
    {
        private ITimer? _timer;
        private volatile bool _expired;

        public bool Expired => _expired;

        public void Start()
        {
            // Held in the connector while it runs: the destination (and so this watch's table entry) may be gone.
            owner._draining.TryAdd(this, 0);
            _timer = owner._time.CreateTimer(static state => ((DrainWatch)state!).Expire(), this, owner._config.Current.Limits.DrainTimeout, Timeout.InfiniteTimeSpan);
        }

        private void Expire()
        {
            _expired = true;
            Interlocked.MemoryBarrier(); // see the session handler, which sets its lease and then reads this flag
            _timer?.Dispose();
            owner.CloseDrained(this);
        }
    }

    private sealed class Lease(DestinationConnection connection, PassiveHealthMonitor passiveHealth, DrainWatch watch) : UpstreamLease
    {
        public DrainWatch Watch { get; } = watch;

        public override EpollSocket Socket => connection.Socket;

        public override string Destination => connection.Destination.Name;

        public override bool DrainExpired => Watch.Expired;

        public override void ReportEarlyClose() => passiveHealth.ReportEarlyClose(connection.Destination);

        public override void Dispose() => connection.Dispose();
    }
}
