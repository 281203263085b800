using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing.LoadBalancing;

public sealed class RoundRobinPolicyTests
{
    [Fact]
    public void Weights_5_1_1_give_nginx_smooth_order()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.RoundRobin, Destination(5), Destination(1), Destination(1)));

        var order = Enumerable.Range(0, 14).Select(_ =>
        {
            using var lease = cluster.TryAcquireDestination(default)!;
            return lease.Destination.Name;
        }).ToArray();

        string[] cycle = ["d0", "d0", "d1", "d0", "d2", "d0", "d0"];
        Assert.Equal([.. cycle, .. cycle], order);
    }

    [Fact]
    public void Weights_1_2_3_are_exact_over_whole_cycles()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.RoundRobin, Destination(1), Destination(2), Destination(3)));

        var picks = AcquireReleased(cluster, 600);

        Assert.Equal(100, picks["d0"]);
        Assert.Equal(200, picks["d1"]);
        Assert.Equal(300, picks["d2"]);
    }

    [Fact]
    public void Skips_an_unhealthy_destination_and_shares_among_the_rest()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.RoundRobin, Destination(), Destination(), Destination()));
        cluster.Model.Destinations[1].RecordProbeResult(success: false, unhealthyThreshold: 1, healthyThreshold: 1);

        var picks = AcquireReleased(cluster, 100);

        Assert.False(picks.ContainsKey("d1"));
        Assert.Equal(50, picks["d0"]);
        Assert.Equal(50, picks["d2"]);
    }
}
