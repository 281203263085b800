using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing.LoadBalancing;

public sealed class PowerOfTwoChoicesPolicyTests
{
    [Fact]
    public void Held_sessions_follow_the_weights_closely()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.PowerOfTwoChoices, Destination(1), Destination(2), Destination(3)));

        var (picks, _) = AcquireHeld(cluster, 600);

        // Least-loaded of two weighted draws keeps every node near its weighted share (ideal 100/200/300).
        Assert.InRange(picks["d0"], 70, 130);
        Assert.InRange(picks["d1"], 160, 240);
        Assert.InRange(picks["d2"], 250, 350);
    }

    [Fact]
    public void Never_picks_an_ineligible_destination_and_uses_a_lone_survivor()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.PowerOfTwoChoices, Destination(), Destination(), Destination()));
        cluster.Model.Destinations[0].RecordProbeResult(false, 1, 1);
        cluster.Model.Destinations[2].RecordProbeResult(false, 1, 1);

        var picks = AcquireReleased(cluster, 200);

        Assert.Equal(200, picks["d1"]);
        Assert.Single(picks);
    }

    [Fact]
    public void Equal_nodes_without_load_get_roughly_equal_shares()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.PowerOfTwoChoices, Destination(), Destination(), Destination(), Destination()));

        var picks = AcquireReleased(cluster, 4000);

        Assert.All(["d0", "d1", "d2", "d3"], name => Assert.InRange(picks[name], 800, 1200));
    }
}
