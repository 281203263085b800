using System.Net;
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

    public ClusterUpstreamConnector(ClusterRegistry clusters, DestinationConnector connector, PassiveHealthMonitor passiveHealth, ProxyConfigState config, TimeProvider time)
    {
        _clusters = clusters;
        _connector = connector;
        _passiveHealth = passiveHealth;
        _config = config;
        _time = time;
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
            return new Lease(connection, _passiveHealth, _config, _time);
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

    private sealed class Lease : UpstreamLease
    {
        private readonly DestinationConnection _connection;
        private readonly PassiveHealthMonitor _passiveHealth;
        private readonly ProxyConfigState _config;
        private readonly TimeProvider _time;
        private readonly CancellationTokenRegistration _drain;
        private ITimer? _drainTimer;

        public Lease(DestinationConnection connection, PassiveHealthMonitor passiveHealth, ProxyConfigState config, TimeProvider time)
        {
            _connection = connection;
            _passiveHealth = passiveHealth;
            _config = config;
            _time = time;
            // A destination removed by a reload drains: its sessions may finish for DrainTimeout, then close. The
            // callback takes the lease as its state: a closure would be two more objects kept for the session's life.
            _drain = connection.Destination.DrainRequested.UnsafeRegister(static state => ((Lease)state!).StartDrain(), this);
        }

        public override EpollSocket Socket => _connection.Socket;

        public override string Destination => _connection.Destination.Name;

        public override event Action? DrainExpired;

        private void StartDrain() =>
            _drainTimer = _time.CreateTimer(static state => ((Lease)state!).DrainExpired?.Invoke(), this, _config.Current.Limits.DrainTimeout, Timeout.InfiniteTimeSpan);

        public override void ReportEarlyClose() => _passiveHealth.ReportEarlyClose(_connection.Destination);

        public override void Dispose()
        {
            _drain.Dispose();
            _drainTimer?.Dispose();
            _connection.Dispose();
        }
    }
}
