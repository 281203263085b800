using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Health;
using StratumProxy.Routing;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Tests.Routing;

/// <summary>The routing and health objects wired as the host wires them, with isolated metrics and a chosen clock.</summary>
internal sealed class RoutingTestHarness : IDisposable
{
    public RoutingTestHarness(TimeProvider? timeProvider = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        MetricsRegistry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(MetricsRegistry);
        HealthMetrics = new HealthMetrics(factory);
        RoutingMetrics = new RoutingMetrics(factory);
        Policies = LoadBalancingPolicyRegistry.CreateDefault();
        Registry = new ClusterRegistry(Policies, HealthMetrics, TimeProvider, NullLogger<ClusterRegistry>.Instance);
        Passive = new PassiveHealthMonitor(TimeProvider, RoutingMetrics, HealthMetrics, NullLogger<PassiveHealthMonitor>.Instance);
    }

    public TimeProvider TimeProvider { get; }

    public CollectorRegistry MetricsRegistry { get; }

    public HealthMetrics HealthMetrics { get; }

    public RoutingMetrics RoutingMetrics { get; }

    public LoadBalancingPolicyRegistry Policies { get; }

    public ClusterRegistry Registry { get; }

    public PassiveHealthMonitor Passive { get; }

    public long Now => TimeProvider.GetUtcNow().UtcTicks;

    /// <summary>Applies a configuration holding only <paramref name="cluster"/> under <paramref name="name"/>.</summary>
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

    public void Dispose() => Passive.Dispose();

    /// <summary>A cluster of destinations named d0, d1, ... on unused loopback ports (unit tests never connect).</summary>
    public static ClusterOptions Cluster(string policy, params DestinationOptions[] destinations) => new()
    {
        LoadBalancingPolicy = policy,
        Destinations = Destinations(destinations),
    };

    public static Dictionary<string, DestinationOptions> Destinations(params DestinationOptions[] destinations)
    {
        var result = new Dictionary<string, DestinationOptions>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < destinations.Length; i++)
        {
            result[$"d{i}"] = destinations[i];
        }

        return result;
    }

    public static DestinationOptions Destination(int weight = 1, bool backup = false, int maxConnections = 0, int port = 0) => new()
    {
        Address = $"127.0.0.1:{(port == 0 ? 9 : port)}",
        Weight = weight,
        Backup = backup,
        MaxConnections = maxConnections,
    };

    /// <summary>Takes <paramref name="count"/> leases and keeps them, counting picks per destination name.</summary>
    public static (Dictionary<string, int> Picks, List<DestinationLease> Leases) AcquireHeld(ClusterState cluster, int count, Func<int, RoutingKey>? key = null)
    {
        var picks = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var leases = new List<DestinationLease>(count);
        for (var i = 0; i < count; i++)
        {
            var lease = cluster.TryAcquireDestination(key?.Invoke(i) ?? RoutingKey.None) ?? throw new InvalidOperationException($"no destination at pick {i}");
            leases.Add(lease);
            picks[lease.Destination.Name] = picks.GetValueOrDefault(lease.Destination.Name) + 1;
        }

        return (picks, leases);
    }

    /// <summary>Takes and immediately returns <paramref name="count"/> leases, counting picks per destination name.</summary>
    public static Dictionary<string, int> AcquireReleased(ClusterState cluster, int count, Func<int, RoutingKey>? key = null)
    {
        var picks = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < count; i++)
        {
            using var lease = cluster.TryAcquireDestination(key?.Invoke(i) ?? RoutingKey.None) ?? throw new InvalidOperationException($"no destination at pick {i}");
            picks[lease.Destination.Name] = picks.GetValueOrDefault(lease.Destination.Name) + 1;
        }

        return picks;
    }
}
