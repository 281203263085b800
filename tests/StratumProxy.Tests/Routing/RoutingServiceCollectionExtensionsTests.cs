using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Health;
using StratumProxy.Routing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing;

public sealed class RoutingServiceCollectionExtensionsTests
{
    [Fact]
    public void The_host_gets_one_registry_connector_and_health_checker()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IMetricFactory>(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()));
        services.AddStratumRouting();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var registry = provider.GetRequiredService<ClusterRegistry>();
        registry.Apply(new ProxyOptions { Clusters = new() { ["btc"] = Cluster("Hash", Destination(), Destination(backup: true)) } });

        Assert.NotNull(provider.GetRequiredService<DestinationConnector>());
        Assert.Same(provider.GetRequiredService<ActiveHealthChecker>(), Assert.Single(provider.GetServices<IHostedService>()));
        Assert.Same(provider.GetRequiredService<PassiveHealthMonitor>(), provider.GetRequiredService<PassiveHealthMonitor>());

        var status = Assert.Single(RoutingStatus.Snapshot(registry, TimeProvider.System));
        Assert.Equal(("btc", "Hash", "ClientIp"), (status.Name, status.LoadBalancingPolicy, status.HashKey));
        Assert.Equal(["d0", "d1"], status.Destinations.Select(d => d.Name));
        Assert.True(status.Destinations[1].Backup);
        Assert.All(status.Destinations, d => Assert.Equal(("Unknown", true, 0), (d.ActiveHealth, d.Available, d.ActiveSessions)));
    }
}
