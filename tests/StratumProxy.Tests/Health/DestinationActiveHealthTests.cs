using StratumProxy.Routing;

namespace StratumProxy.Tests.Health;

public sealed class DestinationActiveHealthTests
{
    [Fact]
    public void Thresholds_move_the_state_and_a_lone_blip_does_not()
    {
        using var harness = new Routing.RoutingTestHarness();
        var cluster = harness.Apply(Routing.RoutingTestHarness.Cluster("First", Routing.RoutingTestHarness.Destination()));
        var d = cluster.Model.Destinations[0];

        Assert.Equal((ActiveHealthState.Unknown, ActiveHealthState.Healthy), d.RecordProbeResult(true, 2, 2));
        Assert.Equal((ActiveHealthState.Healthy, ActiveHealthState.Healthy), d.RecordProbeResult(false, 2, 2));
        Assert.Equal((ActiveHealthState.Healthy, ActiveHealthState.Healthy), d.RecordProbeResult(true, 2, 2));
        Assert.Equal((ActiveHealthState.Healthy, ActiveHealthState.Healthy), d.RecordProbeResult(false, 2, 2));
        Assert.Equal((ActiveHealthState.Healthy, ActiveHealthState.Unhealthy), d.RecordProbeResult(false, 2, 2));
        Assert.Equal(2, d.ConsecutiveProbeFailures);
        Assert.False(d.IsAvailable(harness.Now));
        Assert.Equal((ActiveHealthState.Unhealthy, ActiveHealthState.Unhealthy), d.RecordProbeResult(true, 2, 2));
        Assert.Equal((ActiveHealthState.Unhealthy, ActiveHealthState.Healthy), d.RecordProbeResult(true, 2, 2));
        Assert.True(d.IsAvailable(harness.Now));
    }
}
