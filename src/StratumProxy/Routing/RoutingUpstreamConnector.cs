using System.Net;
using System.Net.Sockets;
using StratumProxy.Health;
using StratumProxy.Stratum;

namespace StratumProxy.Routing;

/// <summary>
/// The session handler's <see cref="IUpstreamConnector"/> backed by the routing layer: the cluster's policy,
/// backups, caps, health, next-destination retry and the <c>ConnectTimeout</c> budget.
/// </summary>
public sealed class RoutingUpstreamConnector : IUpstreamConnector
{
    private readonly ClusterRegistry _clusters;
    private readonly DestinationConnector _connector;
    private readonly PassiveHealthMonitor _passiveHealth;

    /// <param name="binding">Taken so the clusters are applied before the first session is routed.</param>
    public RoutingUpstreamConnector(ClusterRegistry clusters, DestinationConnector connector, PassiveHealthMonitor passiveHealth, ClusterConfigBinding binding)
    {
        _ = binding;
        _clusters = clusters;
        _connector = connector;
        _passiveHealth = passiveHealth;
    }

    public async ValueTask<UpstreamLease?> ConnectAsync(string cluster, IPAddress client, string? worker, CancellationToken cancellationToken)
    {
        if (!_clusters.TryGetCluster(cluster, out var state))
        {
            return null;
        }

        var key = RoutingKey.For(state.Model.Options.HashKey, client, worker);
        try
        {
            var connection = await _connector.ConnectAsync(state, key, cancellationToken).ConfigureAwait(false);
            return new RoutedUpstreamLease(connection, _passiveHealth);
        }
        catch (NoDestinationException)
        {
            // Logged by the connector; the handler counts the rejection as no_destination.
            return null;
        }
    }
}

/// <summary>A session's routed destination: its socket, its slot, and its drain signal.</summary>
public sealed class RoutedUpstreamLease : UpstreamLease
{
    private readonly DestinationConnection _connection;
    private readonly PassiveHealthMonitor _passiveHealth;

    internal RoutedUpstreamLease(DestinationConnection connection, PassiveHealthMonitor passiveHealth)
    {
        _connection = connection;
        _passiveHealth = passiveHealth;
    }

    public override Socket Socket => _connection.Socket;

    public override string Destination => _connection.Destination.Name;

    /// <summary>The routing state of the destination (counters, health, drain signal).</summary>
    public DestinationState State => _connection.Destination;

    /// <summary>Cancelled when a reload removed the destination: close the session after <c>DrainTimeout</c>.</summary>
    public CancellationToken DrainRequested => _connection.Destination.DrainRequested;

    public override void ReportEarlyClose() => _passiveHealth.ReportEarlyClose(_connection.Destination);

    public override void Dispose() => _connection.Dispose();
}
