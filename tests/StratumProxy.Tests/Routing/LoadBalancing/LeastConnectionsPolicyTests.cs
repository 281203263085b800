using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing.LoadBalancing;

public sealed class LeastConnectionsPolicyTests
{
    [Fact]
    public void Held_sessions_spread_in_proportion_to_weight()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.LeastConnections, Destination(1), Destination(2), Destination(3)));

        var (picks, leases) = AcquireHeld(cluster, 60);

        Assert.Equal(10, picks["d0"]);
        Assert.Equal(20, picks["d1"]);
        Assert.Equal(30, picks["d2"]);
        Assert.Equal([10, 20, 30], cluster.Model.Destinations.Select(d => d.ActiveSessions));
        leases.ForEach(l => l.Dispose());
        Assert.All(cluster.Model.Destinations, d => Assert.Equal(0, d.ActiveSessions));
    }

    [Fact]
    public void A_freed_slot_attracts_the_next_session()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.LeastConnections, Destination(), Destination(), Destination()));
        var (_, leases) = AcquireHeld(cluster, 9);

        // Three sessions of d1 end: it is now the least loaded by three.
        foreach (var lease in leases.Where(l => l.Destination.Name == "d1"))
        {
            lease.Dispose();
        }

        var (picks, _) = AcquireHeld(cluster, 3);

        Assert.Equal(3, picks["d1"]);
    }

    [Fact]
    public void Ties_are_shared_rather_than_always_the_first()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.LeastConnections, Destination(), Destination(), Destination()));

        var picks = AcquireReleased(cluster, 3000);

        Assert.All(["d0", "d1", "d2"], name => Assert.InRange(picks[name], 800, 1200));
    }
}
