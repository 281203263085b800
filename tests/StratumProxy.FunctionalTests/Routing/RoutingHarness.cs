using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Health;
using StratumProxy.Routing;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.FunctionalTests.Routing;

/// <summary>Routing and health wired as the host wires them (see AddStratumRouting), with isolated metrics.</summary>
internal sealed class RoutingHarness : IDisposable
{
    public RoutingHarness(TimeProvider? timeProvider = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        MetricsRegistry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(MetricsRegistry);
        var healthMetrics = new HealthMetrics(factory);
        Registry = new ClusterRegistry(LoadBalancingPolicyRegistry.CreateDefault(), healthMetrics, TimeProvider, NullLogger<ClusterRegistry>.Instance);
        Passive = new PassiveHealthMonitor(TimeProvider, new RoutingMetrics(factory), healthMetrics, NullLogger<PassiveHealthMonitor>.Instance);
        Sockets = new DestinationSocketFactory(new DestinationSocketOptions());
        Connector = new DestinationConnector(Sockets, Passive, NullLogger<DestinationConnector>.Instance);
        Checker = new ActiveHealthChecker(Registry, new TcpHealthProbe(Sockets), new StratumHealthProbe(Sockets), healthMetrics, TimeProvider, NullLogger<ActiveHealthChecker>.Instance);
    }

    public TimeProvider TimeProvider { get; }

    public CollectorRegistry MetricsRegistry { get; }

    public ClusterRegistry Registry { get; }

    public PassiveHealthMonitor Passive { get; }

    public DestinationSocketFactory Sockets { get; }

    public DestinationConnector Connector { get; }

    public ActiveHealthChecker Checker { get; }

    public ClusterState Apply(ClusterOptions cluster, string name = "pool")
    {
        Registry.Apply(new ProxyOptions { Clusters = new(StringComparer.OrdinalIgnoreCase) { [name] = cluster } });
        return Registry.TryGetCluster(name, out var state) ? state : throw new InvalidOperationException("cluster missing");
    }

    public async Task<string> ExportMetricsAsync()
    {
        using var stream = new MemoryStream();
        await MetricsRegistry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public void Dispose()
    {
        Checker.Dispose();
        Passive.Dispose();
    }

    public static ClusterOptions Cluster(string policy, params string[] addresses) => new()
    {
        LoadBalancingPolicy = policy,
        Destinations = addresses.Select((address, i) => (address, i))
            .ToDictionary(x => $"d{x.i}", x => new DestinationOptions { Address = x.address }, StringComparer.OrdinalIgnoreCase),
    };
}
