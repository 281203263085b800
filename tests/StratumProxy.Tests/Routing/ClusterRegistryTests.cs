using StratumProxy.Configuration;
using StratumProxy.Routing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing;

public sealed class ClusterRegistryTests
{
    [Fact]
    public void Unchanged_configuration_keeps_the_same_snapshot()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster("LeastConnections", Destination(), Destination()));
        var model = cluster.Model;
        var changes = 0;
        harness.Registry.Changed += (_, _) => changes++;

        // A fresh but equal options object, as a reload of an untouched file produces.
        harness.Apply(Cluster("leastconnections", Destination(), Destination()));

        Assert.Same(model, cluster.Model);
        Assert.Equal(0, changes);
    }

    [Fact]
    public void Reload_keeps_the_state_of_unchanged_destinations_and_drains_removed_ones()
    {
        using var harness = new RoutingTestHarness();
        var options = Cluster("LeastConnections", Destination(port: 1001), Destination(port: 1002), Destination(port: 1003)) with
        {
            HealthCheck = new HealthCheckOptions { Active = new ActiveHealthCheckOptions { Enabled = true } },
        };
        var cluster = harness.Apply(options);
        var (d0, d1, d2) = (cluster.Model.Destinations[0], cluster.Model.Destinations[1], cluster.Model.Destinations[2]);
        var (_, leases) = RoutingTestHarness.AcquireHeld(cluster, 6);
        d0.RecordProbeResult(false, 1, 1);
        var pipeline = cluster.Model.ConnectPipeline;

        // d1 removed, d2 re-weighted, d3 added.
        var edited = options with
        {
            Destinations = new(StringComparer.OrdinalIgnoreCase)
            {
                ["d0"] = Destination(port: 1001),
                ["d2"] = Destination(weight: 5, port: 1003),
                ["d3"] = Destination(port: 1004),
            },
        };
        Assert.Same(cluster, harness.Apply(edited));

        Assert.Equal(["d0", "d2", "d3"], cluster.Model.Destinations.Select(d => d.Name));
        Assert.Same(d0, cluster.Model.Destinations[0]);
        Assert.Same(d2, cluster.Model.Destinations[1]);
        Assert.Equal(2, d0.ActiveSessions);
        Assert.Equal(ActiveHealthState.Unhealthy, d0.ActiveHealth);
        Assert.Equal(5, d2.Settings.Weight);
        Assert.Same(pipeline, cluster.Model.ConnectPipeline);

        Assert.True(d1.IsDraining);
        Assert.True(d1.DrainRequested.IsCancellationRequested);
        Assert.False(d1.TryAcquire());
        Assert.Equal([d1], cluster.DrainingDestinations);

        // New sessions never reach the draining destination; its sessions end and it leaves the list.
        var (picks, more) = RoutingTestHarness.AcquireHeld(cluster, 20);
        Assert.False(picks.ContainsKey("d1"));
        foreach (var lease in leases.Where(l => l.Destination == d1))
        {
            lease.Dispose();
        }

        Assert.Empty(cluster.DrainingDestinations);
        leases.Concat(more).ToList().ForEach(l => l.Dispose());
    }

    [Fact]
    public void A_new_address_under_the_same_name_is_a_new_destination()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster("First", Destination(port: 2001)));
        var old = cluster.Model.Destinations[0];
        using var lease = cluster.TryAcquireDestination(default);

        harness.Apply(Cluster("First", Destination(port: 2002)));

        Assert.NotSame(old, cluster.Model.Destinations[0]);
        Assert.Equal(2002, cluster.Model.Destinations[0].Address.Port);
        Assert.True(old.IsDraining);
        Assert.Equal(0, cluster.Model.Destinations[0].ActiveSessions);
    }

    [Fact]
    public void A_policy_change_rebuilds_the_snapshot_but_keeps_destinations()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster("LeastConnections", Destination(), Destination()));
        var destinations = cluster.Model.Destinations;

        harness.Apply(Cluster("Hash", Destination(), Destination()));

        Assert.Equal("Hash", cluster.Model.Policy.Name);
        Assert.Equal(destinations, cluster.Model.Destinations);
    }

    [Fact]
    public void A_removed_cluster_disappears_and_its_destinations_drain()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster("LeastConnections", Destination()), name: "old");
        using var lease = cluster.TryAcquireDestination(default);

        harness.Apply(Cluster("LeastConnections", Destination()), name: "new");

        Assert.False(harness.Registry.TryGetCluster("old", out _));
        Assert.True(harness.Registry.TryGetCluster("NEW", out _));
        Assert.True(cluster.IsRemoved);
        Assert.True(lease!.Destination.IsDraining);
        Assert.Single(harness.Registry.Clusters);
    }

    [Fact]
    public void An_invalid_configuration_changes_nothing()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster("LeastConnections", Destination(), Destination()));
        var model = cluster.Model;

        var bad = new ProxyOptions
        {
            Clusters = new()
            {
                ["pool"] = Cluster("LeastConnections", Destination()),
                ["broken"] = new ClusterOptions { LoadBalancingPolicy = "Nope", Destinations = new() { ["x"] = new DestinationOptions { Address = "nowhere" } } },
            },
        };
        var error = Assert.Throws<RoutingConfigurationException>(() => harness.Registry.Apply(bad));

        Assert.Equal(2, error.Errors.Count);
        Assert.Same(model, cluster.Model);
        Assert.False(harness.Registry.TryGetCluster("broken", out _));
    }

    [Fact]
    public void Turning_active_checks_off_forgets_their_verdict()
    {
        using var harness = new RoutingTestHarness();
        var enabled = Cluster("First", Destination()) with
        {
            HealthCheck = new HealthCheckOptions { Active = new ActiveHealthCheckOptions { Enabled = true } },
        };
        var cluster = harness.Apply(enabled);
        cluster.Model.Destinations[0].RecordProbeResult(false, 1, 1);
        Assert.Null(cluster.TryAcquireDestination(default));

        harness.Apply(enabled with { HealthCheck = new HealthCheckOptions() });

        Assert.Equal(ActiveHealthState.Unknown, cluster.Model.Destinations[0].ActiveHealth);
        using var lease = cluster.TryAcquireDestination(default);
        Assert.NotNull(lease);
    }
}
