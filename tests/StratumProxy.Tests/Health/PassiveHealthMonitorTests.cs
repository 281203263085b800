using Microsoft.Extensions.Time.Testing;
using StratumProxy.Configuration;
using StratumProxy.Routing;
using StratumProxy.Tests.Routing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Health;

public sealed class PassiveHealthMonitorTests
{
    private static readonly TimeSpan FailTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MaxFailures_within_FailTimeout_take_a_destination_out_for_FailTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var harness = new RoutingTestHarness(time);
        var cluster = harness.Apply(WithPassive(Cluster("First", Destination(), Destination())));
        var d0 = cluster.Model.Destinations[0];

        harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        time.Advance(TimeSpan.FromSeconds(10));
        harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        Assert.True(d0.IsAvailable(harness.Now));
        time.Advance(TimeSpan.FromSeconds(10));
        harness.Passive.ReportEarlyClose(d0);

        Assert.False(d0.IsAvailable(harness.Now));
        Assert.Equal("d1", Pick(cluster));
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"d0\"} 0", await harness.ExportMetricsAsync(), StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_connect_failures_total{cluster=\"pool\",destination=\"d0\"} 2", await harness.ExportMetricsAsync(), StringComparison.Ordinal);
        Assert.Equal(2, d0.ConnectFailures);
        Assert.Equal(1, d0.EarlyCloses);

        time.Advance(FailTimeout - TimeSpan.FromSeconds(1));
        Assert.Equal("d1", Pick(cluster));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("d0", Pick(cluster));
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"d0\"} 1", await harness.ExportMetricsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_spread_wider_than_FailTimeout_do_not_add_up()
    {
        var time = new FakeTimeProvider();
        using var harness = new RoutingTestHarness(time);
        var cluster = harness.Apply(WithPassive(Cluster("First", Destination())));
        var d0 = cluster.Model.Destinations[0];

        for (var i = 0; i < 10; i++)
        {
            harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
            time.Advance(TimeSpan.FromSeconds(16));
        }

        Assert.True(d0.IsAvailable(harness.Now));
    }

    [Fact]
    public void A_node_still_failing_after_its_period_goes_straight_back_out()
    {
        var time = new FakeTimeProvider();
        using var harness = new RoutingTestHarness(time);
        var cluster = harness.Apply(WithPassive(Cluster("First", Destination())));
        var d0 = cluster.Model.Destinations[0];
        for (var i = 0; i < 3; i++)
        {
            harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        }

        time.Advance(FailTimeout);
        Assert.True(d0.IsAvailable(harness.Now));

        harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        Assert.False(d0.IsAvailable(harness.Now));

        // Once a connect succeeds after the period, it takes MaxFailures again.
        time.Advance(FailTimeout);
        harness.Passive.ReportConnectSuccess(d0);
        harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        Assert.True(d0.IsAvailable(harness.Now));
    }

    [Fact]
    public void Passive_checks_off_count_failures_but_never_exclude()
    {
        var time = new FakeTimeProvider();
        using var harness = new RoutingTestHarness(time);
        var cluster = harness.Apply(Cluster("First", Destination()) with
        {
            HealthCheck = new HealthCheckOptions { Passive = new PassiveHealthCheckOptions { Enabled = false } },
        });
        var d0 = cluster.Model.Destinations[0];

        for (var i = 0; i < 10; i++)
        {
            harness.Passive.ReportConnectFailure(d0, "ConnectionRefused");
        }

        Assert.True(d0.IsAvailable(harness.Now));
        Assert.Equal(10, d0.ConnectFailures);
    }

    private static ClusterOptions WithPassive(ClusterOptions cluster) => cluster with
    {
        HealthCheck = new HealthCheckOptions { Passive = new PassiveHealthCheckOptions { Enabled = true, MaxFailures = 3, FailTimeout = FailTimeout } },
    };

    private static string Pick(ClusterState cluster)
    {
        using var lease = cluster.TryAcquireDestination(default) ?? throw new InvalidOperationException("no destination");
        return lease.Destination.Name;
    }
}
