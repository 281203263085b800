using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing.LoadBalancing;

public sealed class FirstPolicyTests
{
    [Fact]
    public void Takes_the_first_available_in_declared_order()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.First, Destination(maxConnections: 2), Destination(), Destination()));

        var (picks, leases) = AcquireHeld(cluster, 5);

        // d0 until its cap, then d1; d2 never while d1 has room.
        Assert.Equal(2, picks["d0"]);
        Assert.Equal(3, picks["d1"]);
        Assert.False(picks.ContainsKey("d2"));

        cluster.Model.Destinations[1].RecordProbeResult(false, 1, 1);
        using var next = cluster.TryAcquireDestination(default);
        Assert.Equal("d2", next!.Destination.Name);

        leases[0].Dispose();
        using var back = cluster.TryAcquireDestination(default);
        Assert.Equal("d0", back!.Destination.Name);
    }
}
