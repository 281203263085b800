using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Health;
using StratumProxy.Routing;
using StratumProxy.Tests.Routing;

namespace StratumProxy.FunctionalTests.Routing;

/// <summary>
/// The unit tests' <see cref="RoutingTestHarness"/> (routing and health wired as the host wires them, isolated
/// metrics) with what real connections need on top: the socket factory, the connector and the active health checker.
/// </summary>
internal sealed class RoutingHarness : IDisposable
{
    private readonly RoutingTestHarness _routing;

    public RoutingHarness(TimeProvider? timeProvider = null)
    {
        _routing = new RoutingTestHarness(timeProvider);
        Sockets = new DestinationSocketFactory(new DestinationSocketOptions());
        Connector = new DestinationConnector(Sockets, Passive, NullLogger<DestinationConnector>.Instance);
        Checker = new ActiveHealthChecker(Registry, new TcpHealthProbe(Sockets), new StratumHealthProbe(Sockets), _routing.HealthMetrics, TimeProvider, NullLogger<ActiveHealthChecker>.Instance);
    }

    public TimeProvider TimeProvider => _routing.TimeProvider;

    public CollectorRegistry MetricsRegistry => _routing.MetricsRegistry;

    public ClusterRegistry Registry => _routing.Registry;

    public PassiveHealthMonitor Passive => _routing.Passive;

    public DestinationSocketFactory Sockets { get; }

    public DestinationConnector Connector { get; }

    public ActiveHealthChecker Checker { get; }

    public ClusterState Apply(ClusterOptions cluster, string name = "pool") => _routing.Apply(cluster, name);

    public Task<string> ExportMetricsAsync() => _routing.ExportMetricsAsync();

    public void Dispose()
    {
        Checker.Dispose();
        _routing.Dispose();
    }

    /// <summary>A cluster of destinations named d0, d1, ... at <paramref name="addresses"/>.</summary>
    public static ClusterOptions Cluster(string policy, params string[] addresses) =>
        RoutingTestHarness.Cluster(policy, [.. addresses.Select(address => new DestinationOptions { Address = address })]);
}
