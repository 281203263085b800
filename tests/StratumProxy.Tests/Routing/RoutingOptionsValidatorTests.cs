using StratumProxy.Configuration;
using StratumProxy.Routing;
using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing;

public sealed class RoutingOptionsValidatorTests
{
    [Fact]
    public void A_valid_cluster_has_no_errors()
    {
        var options = new ProxyOptions { Clusters = new() { ["btc"] = Cluster("LeastConnections", Destination(), Destination(backup: true)) } };

        Assert.Empty(RoutingOptionsValidator.Validate(options, LoadBalancingPolicyRegistry.CreateDefault()));
    }

    [Fact]
    public void Every_problem_is_reported_with_its_key()
    {
        var cluster = new ClusterOptions
        {
            LoadBalancingPolicy = "Fastest",
            ConnectTimeout = TimeSpan.Zero,
            HealthCheck = new HealthCheckOptions
            {
                Active = new ActiveHealthCheckOptions { Enabled = true, Interval = TimeSpan.Zero, ExpectJob = true, Probe = HealthProbeKind.Tcp, UnhealthyThreshold = 0 },
                Passive = new PassiveHealthCheckOptions { MaxFailures = 0 },
            },
            Destinations = new()
            {
                ["a"] = new DestinationOptions { Address = "127.0.0.1", Weight = 0 },
                ["b"] = new DestinationOptions { Address = "127.0.0.1:3333", MaxConnections = -1 },
            },
        };
        var options = new ProxyOptions { Clusters = new() { ["btc"] = cluster, ["empty"] = new ClusterOptions() } };

        var errors = RoutingOptionsValidator.Validate(options, LoadBalancingPolicyRegistry.CreateDefault());

        string[] keys =
        [
            "Proxy:Clusters:btc:LoadBalancingPolicy:",
            "Proxy:Clusters:btc:ConnectTimeout:",
            "Proxy:Clusters:btc:HealthCheck:Active:Interval:",
            "Proxy:Clusters:btc:HealthCheck:Active:UnhealthyThreshold:",
            "Proxy:Clusters:btc:HealthCheck:Active:ExpectJob:",
            "Proxy:Clusters:btc:HealthCheck:Passive:MaxFailures:",
            "Proxy:Clusters:btc:Destinations:a:Address:",
            "Proxy:Clusters:btc:Destinations:a:Weight:",
            "Proxy:Clusters:btc:Destinations:b:MaxConnections:",
            "Proxy:Clusters:empty:Destinations:",
        ];
        Assert.All(keys, key => Assert.Contains(errors, e => e.StartsWith(key, StringComparison.Ordinal)));
        Assert.Equal(keys.Length, errors.Count);
    }
}
