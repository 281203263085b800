using Microsoft.Extensions.Time.Testing;
using StratumProxy.Configuration;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.FunctionalTests.Routing;
using StratumProxy.Routing;

namespace StratumProxy.FunctionalTests.Health;

public sealed class ActiveHealthCheckerTests
{
    [Fact]
    public async Task Tcp_probe_marks_a_killed_backend_unhealthy_after_two_failures_and_healthy_after_two_successes()
    {
        await using var backend = StratumTestBackend.Start();
        await using var spare = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(WithActive(RoutingHarness.Cluster("First", backend.Address, spare.Address), HealthProbeKind.Tcp));
        var node = cluster.Model.Destinations[0];

        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Healthy, node.ActiveHealth);
        // A probe succeeds once the kernel completes the handshake; stopping before the backend's accept loop took it
        // would drop it from the queue unseen, and the count at the end would be one short.
        await Eventually.WaitUntilAsync(() => backend.ConnectionCount >= 1, TimeSpan.FromSeconds(10), "the backend accepted the first probe");

        await backend.StopAsync();
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Healthy, node.ActiveHealth);
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Unhealthy, node.ActiveHealth);
        Assert.Equal("d1", PickName(cluster));
        var metrics = await harness.ExportMetricsAsync();
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"d0\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_health_probes_total{cluster=\"pool\",destination=\"d0\",result=\"connect_failed\"} 2", metrics, StringComparison.Ordinal);

        backend.Restart();
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Unhealthy, node.ActiveHealth);
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Healthy, node.ActiveHealth);
        Assert.Equal("d0", PickName(cluster));
        metrics = await harness.ExportMetricsAsync();
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"d0\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_health_probes_total{cluster=\"pool\",destination=\"d0\",result=\"success\"} 3", metrics, StringComparison.Ordinal);

        // The probes reached the backend but never took a session slot: the one session is the pick above.
        await Eventually.WaitUntilAsync(() => backend.ConnectionCount >= 3, TimeSpan.FromSeconds(10), "the backend accepted the probes");
        Assert.Equal(0, node.ActiveSessions);
        Assert.Equal(1, node.TotalSessions);
    }

    [Fact]
    public async Task Stratum_probe_subscribes_and_fails_a_backend_that_accepts_but_never_answers()
    {
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(WithActive(RoutingHarness.Cluster("First", backend.Address), HealthProbeKind.Stratum));
        var node = cluster.Model.Destinations[0];

        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Healthy, node.ActiveHealth);
        Assert.Contains("""{"id":1,"method":"mining.subscribe","params":["stratum-proxy-probe"]}""", backend.ReceivedLines);

        backend.Respond = false;
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Unhealthy, node.ActiveHealth);
        Assert.Contains("stratum_proxy_health_probes_total{cluster=\"pool\",destination=\"d0\",result=\"timeout\"} 2", await harness.ExportMetricsAsync(), StringComparison.Ordinal);

        backend.Respond = true;
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Healthy, node.ActiveHealth);
        Assert.Equal(0, node.TotalSessions);
    }

    [Fact]
    public async Task ExpectJob_counts_a_pool_without_block_template_as_down()
    {
        await using var backend = StratumTestBackend.Start();
        backend.SendNotifyOnAuthorize = false;
        using var harness = new RoutingHarness();
        var options = WithActive(RoutingHarness.Cluster("First", backend.Address), HealthProbeKind.Stratum);
        var cluster = harness.Apply(options with
        {
            HealthCheck = options.HealthCheck with { Active = options.HealthCheck.Active with { ExpectJob = true, ProbeWorker = "probe.rig", ProbePassword = "p" } },
        });
        var node = cluster.Model.Destinations[0];

        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);

        Assert.Equal(ActiveHealthState.Unhealthy, node.ActiveHealth);
        Assert.Contains("""{"id":2,"method":"mining.authorize","params":["probe.rig","p"]}""", backend.ReceivedLines);
        Assert.Contains("stratum_proxy_health_probes_total{cluster=\"pool\",destination=\"d0\",result=\"no_job\"} 2", await harness.ExportMetricsAsync(), StringComparison.Ordinal);

        backend.AuthorizeResult = false;
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Contains("stratum_proxy_health_probes_total{cluster=\"pool\",destination=\"d0\",result=\"unauthorized\"} 1", await harness.ExportMetricsAsync(), StringComparison.Ordinal);

        // The pool gets a template: jobs flow after authorize.
        backend.AuthorizeResult = true;
        backend.SendNotifyOnAuthorize = true;
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        await harness.Checker.ProbeClusterAsync(cluster, CancellationToken.None);
        Assert.Equal(ActiveHealthState.Healthy, node.ActiveHealth);
    }

    [Fact]
    public async Task The_hosted_loop_follows_a_backend_going_down_and_up_and_stops_when_checks_are_turned_off()
    {
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var options = WithActive(RoutingHarness.Cluster("First", backend.Address), HealthProbeKind.Stratum, interval: TimeSpan.FromMilliseconds(100));
        var cluster = harness.Apply(options);
        var node = cluster.Model.Destinations[0];
        await harness.Checker.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.WaitUntilAsync(() => node.ActiveHealth == ActiveHealthState.Healthy, TimeSpan.FromSeconds(10), "the first probe passed");

            await backend.StopAsync();
            await Eventually.WaitUntilAsync(() => node.ActiveHealth == ActiveHealthState.Unhealthy, TimeSpan.FromSeconds(10), "the killed backend is unhealthy");

            backend.Restart();
            await Eventually.WaitUntilAsync(() => node.ActiveHealth == ActiveHealthState.Healthy, TimeSpan.FromSeconds(10), "the restarted backend is healthy");

            Assert.Contains("pool", harness.Checker.ProbedClusters);

            // Reload with active checks off: the verdict is forgotten and the cluster's loop is stopped.
            harness.Apply(options with { HealthCheck = new HealthCheckOptions() });
            Assert.Equal(ActiveHealthState.Unknown, node.ActiveHealth);
            Assert.DoesNotContain("pool", harness.Checker.ProbedClusters);
        }
        finally
        {
            await harness.Checker.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Probe_rounds_follow_the_interval_of_the_injected_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness(time);
        harness.Apply(WithActive(RoutingHarness.Cluster("First", backend.Address), HealthProbeKind.Tcp, interval: TimeSpan.FromSeconds(10)));
        await harness.Checker.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.WaitUntilAsync(() => backend.ConnectionCount == 1, TimeSpan.FromSeconds(10), "the first round ran at start");

            for (var round = 2; round <= 4; round++)
            {
                time.Advance(TimeSpan.FromSeconds(10));
                var expected = round;
                await Eventually.WaitUntilAsync(() => backend.ConnectionCount == expected, TimeSpan.FromSeconds(10), $"round {expected} ran");
            }

            Assert.Equal(4, backend.ConnectionCount);
        }
        finally
        {
            await harness.Checker.StopAsync(CancellationToken.None);
        }
    }

    private static ClusterOptions WithActive(ClusterOptions cluster, HealthProbeKind probe, TimeSpan? interval = null) => cluster with
    {
        HealthCheck = new HealthCheckOptions
        {
            Active = new ActiveHealthCheckOptions
            {
                Enabled = true,
                Probe = probe,
                Interval = interval ?? TimeSpan.FromSeconds(10),
                // Generous: this machine may be heavily loaded, and a slow answer must not read as a dead pool.
                Timeout = TimeSpan.FromSeconds(2),
                UnhealthyThreshold = 2,
                HealthyThreshold = 2,
            },
        },
    };

    private static string PickName(ClusterState cluster)
    {
        using var lease = cluster.TryAcquireDestination(RoutingKey.None) ?? throw new InvalidOperationException("no destination");
        return lease.Destination.Name;
    }
}
