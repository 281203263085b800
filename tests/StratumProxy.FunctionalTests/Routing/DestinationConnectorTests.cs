using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Stratum.Transport.EventLoop;
using StratumProxy.Configuration;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.Routing;

namespace StratumProxy.FunctionalTests.Routing;

public sealed class DestinationConnectorTests
{
    [Fact]
    public async Task Connects_with_keepalive_and_nodelay_and_returns_the_slot_on_dispose()
    {
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("LeastConnections", backend.Address));

        var connection = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None);

        Assert.Equal(1, connection.Attempts);
        Assert.Equal(1, connection.Destination.ActiveSessions);
        Assert.Equal(1, connection.Destination.TotalSessions);
        Assert.True(connection.Socket.NoDelay);
        Assert.Equal((true, 60, 10, 3), connection.Socket.KeepAlive);
        await Eventually.WaitUntilAsync(() => backend.ConnectionCount == 1, TimeSpan.FromSeconds(5), "the backend saw the connection");

        connection.Dispose();

        Assert.Equal(0, connection.Destination.ActiveSessions);
        await Eventually.WaitUntilAsync(() => backend.ActiveConnections == 0, TimeSpan.FromSeconds(5), "the backend saw the close");
    }

    [Fact]
    public async Task A_refused_first_choice_is_reported_and_the_next_destination_serves()
    {
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("First", $"127.0.0.1:{LoopbackEndpoints.ClosedPort()}", backend.Address));
        var dead = cluster.Model.Destinations[0];

        using var connection = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None);

        Assert.Equal("d1", connection.Destination.Name);
        Assert.Equal(2, connection.Attempts);
        Assert.Equal(1, dead.ConnectFailures);
        Assert.Equal(0, dead.ActiveSessions);
        Assert.Contains("stratum_proxy_connect_failures_total{cluster=\"pool\",destination=\"d0\"} 1", await harness.ExportMetricsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_every_destination_refuses_the_caller_gets_no_destination()
    {
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("RoundRobin", $"127.0.0.1:{LoopbackEndpoints.ClosedPort()}", $"127.0.0.1:{LoopbackEndpoints.ClosedPort()}"));

        var error = await Assert.ThrowsAsync<NoDestinationException>(async () => await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None));

        Assert.Equal(NoDestinationReason.AllFailed, error.Reason);
        Assert.Equal(2, error.Attempts);
        Assert.Equal("no_destination", NoDestinationException.MetricReason);
        Assert.All(cluster.Model.Destinations, d => Assert.Equal((1, 0), (d.ConnectFailures, d.ActiveSessions)));
    }

    [Fact]
    public async Task Nothing_eligible_fails_without_a_connect_attempt()
    {
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var options = RoutingHarness.Cluster("First", backend.Address);
        var cluster = harness.Apply(options with { Destinations = new() { ["d0"] = new DestinationOptions { Address = backend.Address, MaxConnections = 1 } } });
        using var first = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None);

        var error = await Assert.ThrowsAsync<NoDestinationException>(async () => await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None));

        Assert.Equal(NoDestinationReason.NoneAvailable, error.Reason);
        Assert.Equal(0, error.Attempts);
        Assert.Equal(1, first.Destination.ActiveSessions);
    }

    [Fact]
    public async Task Connect_failures_to_a_dead_port_take_it_out_until_FailTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness(time);
        var options = RoutingHarness.Cluster("First", $"127.0.0.1:{LoopbackEndpoints.ClosedPort()}", backend.Address) with
        {
            HealthCheck = new HealthCheckOptions { Passive = new PassiveHealthCheckOptions { Enabled = true, MaxFailures = 2, FailTimeout = TimeSpan.FromSeconds(30) } },
        };
        var cluster = harness.Apply(options);
        var dead = cluster.Model.Destinations[0];

        Assert.Equal(2, await ConnectAttemptsAsync());
        Assert.Equal(2, await ConnectAttemptsAsync());

        // Two failures: the dead node is skipped, no more wasted attempts.
        Assert.False(dead.IsAvailable(time.GetUtcNow().UtcTicks));
        Assert.Equal(1, await ConnectAttemptsAsync());
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"d0\"} 0", await harness.ExportMetricsAsync(), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(dead.IsAvailable(time.GetUtcNow().UtcTicks));
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"d0\"} 1", await harness.ExportMetricsAsync(), StringComparison.Ordinal);

        // Tried again after the period; still dead, so straight back out after one failure.
        Assert.Equal(2, await ConnectAttemptsAsync());
        Assert.Equal(1, await ConnectAttemptsAsync());
        Assert.Equal(3, dead.ConnectFailures);

        async Task<int> ConnectAttemptsAsync()
        {
            using var connection = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None);
            Assert.Equal("d1", connection.Destination.Name);
            return connection.Attempts;
        }
    }

    [Fact]
    public async Task ConnectTimeout_bounds_a_destination_that_never_answers()
    {
        using var silent = await UnresponsiveEndpoint.CreateAsync();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("First", silent.Address) with { ConnectTimeout = TimeSpan.FromSeconds(1) });
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<NoDestinationException>(async () => await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None));

        Assert.Equal(NoDestinationReason.Timeout, error.Reason);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(4));
        Assert.Equal(1, cluster.Model.Destinations[0].ConnectFailures);
        Assert.Equal(0, cluster.Model.Destinations[0].ActiveSessions);
    }

    [Fact]
    public async Task A_silent_destination_gets_only_its_share_of_the_budget_and_the_next_one_serves()
    {
        using var silent = await UnresponsiveEndpoint.CreateAsync();
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("First", silent.Address, backend.Address) with { ConnectTimeout = TimeSpan.FromSeconds(4) });
        var stopwatch = Stopwatch.StartNew();

        using var connection = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None);

        // Two candidates: the silent one gets half of the 4 s budget, then the live one answers.
        Assert.Equal("d1", connection.Destination.Name);
        Assert.Equal(2, connection.Attempts);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(1900), TimeSpan.FromMilliseconds(3900));
        Assert.Equal(1, cluster.Model.Destinations[0].ConnectFailures);
    }

    [Fact]
    public async Task Several_silent_destinations_together_stay_within_the_overall_budget()
    {
        using var a = await UnresponsiveEndpoint.CreateAsync();
        using var b = await UnresponsiveEndpoint.CreateAsync();
        using var c = await UnresponsiveEndpoint.CreateAsync();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("RoundRobin", a.Address, b.Address, c.Address) with { ConnectTimeout = TimeSpan.FromMilliseconds(1500) });
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<NoDestinationException>(async () => await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None));

        // Each got a third of the budget; the whole connect never ran past it (plus scheduling slack). On a busy
        // machine the first two can overrun their shares by enough that what is left is below the shortest timeout
        // the pipeline runs: the third is then not tried, which is the budget holding, not a failure.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(1300), TimeSpan.FromSeconds(5));
        Assert.Contains(error.Reason, new[] { NoDestinationReason.Timeout, NoDestinationReason.AllFailed });
        Assert.InRange(error.Attempts, 2, 3);
        Assert.Equal(error.Attempts, cluster.Model.Destinations.Count(d => d.ConnectFailures == 1));
    }

    [Fact]
    public async Task An_unknown_cluster_name_is_a_typed_failure()
    {
        using var harness = new RoutingHarness();
        harness.Apply(RoutingHarness.Cluster("First", "127.0.0.1:9"));

        var error = await Assert.ThrowsAsync<NoDestinationException>(async () => await harness.Connector.ConnectAsync(harness.Registry, "missing", RoutingKey.None, CancellationToken.None));

        Assert.Equal(NoDestinationReason.UnknownCluster, error.Reason);
    }

    [Fact]
    public async Task A_caller_that_gives_up_is_not_the_destinations_fault()
    {
        using var silent = await UnresponsiveEndpoint.CreateAsync();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("First", silent.Address) with { ConnectTimeout = TimeSpan.FromSeconds(20) });
        using var miner = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await harness.Connector.ConnectAsync(cluster, RoutingKey.None, miner.Token));

        Assert.Equal(0, cluster.Model.Destinations[0].ConnectFailures);
        Assert.Equal(0, cluster.Model.Destinations[0].ActiveSessions);
    }

    [Fact]
    public async Task Host_names_are_resolved_at_connect_time()
    {
        await using var backend = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("First", $"localhost:{backend.Port}"));

        using var connection = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None);

        await Eventually.WaitUntilAsync(() => backend.ConnectionCount == 1, TimeSpan.FromSeconds(5), "the backend saw the connection");
    }

    [Fact]
    public async Task Hash_routing_sends_a_worker_to_the_same_backend_across_reconnects()
    {
        await using var a = StratumTestBackend.Start();
        await using var b = StratumTestBackend.Start();
        await using var c = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("Hash", a.Address, b.Address, c.Address) with { HashKey = HashKeyKind.Worker });

        for (var worker = 0; worker < 20; worker++)
        {
            var key = RoutingKey.For(HashKeyKind.Worker, null, $"bc1qexample.rig{worker}");
            string? first = null;
            for (var reconnect = 0; reconnect < 3; reconnect++)
            {
                using var connection = await harness.Connector.ConnectAsync(cluster, key, CancellationToken.None);
                first ??= connection.Destination.Name;
                Assert.Equal(first, connection.Destination.Name);
            }
        }

        await Eventually.WaitUntilAsync(() => a.ConnectionCount + b.ConnectionCount + c.ConnectionCount == 60, TimeSpan.FromSeconds(5), "60 connections arrived");
    }

    [Fact]
    public async Task Reload_drains_a_removed_destination_without_dropping_its_sessions()
    {
        await using var oldNode = StratumTestBackend.Start();
        await using var newNode = StratumTestBackend.Start();
        using var harness = new RoutingHarness();
        var cluster = harness.Apply(RoutingHarness.Cluster("LeastConnections", oldNode.Address));
        var sessions = new List<DestinationConnection>();
        for (var i = 0; i < 5; i++)
        {
            sessions.Add(await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None));
        }

        var removed = sessions[0].Destination;

        harness.Apply(RoutingHarness.Cluster("LeastConnections", newNode.Address) with
        {
            Destinations = new() { ["fresh"] = new DestinationOptions { Address = newNode.Address } },
        });

        Assert.True(removed.IsDraining);
        Assert.True(removed.DrainRequested.IsCancellationRequested);
        Assert.Equal([removed], cluster.DrainingDestinations);

        // Established sessions still talk to the old node.
        foreach (var session in sessions)
        {
            Assert.StartsWith("{\"id\":7,\"result\":true", await RoundTripAsync(session.Socket, """{"id":7,"method":"mining.authorize","params":["w","x"]}"""), StringComparison.Ordinal);
        }

        // New sessions go to the new node only.
        using (var fresh = await harness.Connector.ConnectAsync(cluster, RoutingKey.None, CancellationToken.None))
        {
            Assert.Equal("fresh", fresh.Destination.Name);
        }

        sessions.ForEach(s => s.Dispose());
        Assert.Empty(cluster.DrainingDestinations);
        Assert.Equal(0, removed.ActiveSessions);
    }

    private static async Task<string> RoundTripAsync(EpollSocket socket, string line)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"));
        var buffer = new byte[4096];
        var received = new StringBuilder();
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (!received.ToString().Contains('\n', StringComparison.Ordinal))
        {
            await socket.WaitReadableAsync().AsTask().WaitAsync(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline));
            var read = socket.Receive(buffer, out var error);
            if (read < 0)
            {
                Assert.Equal(SocketError.WouldBlock, error);
                continue;
            }

            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return received.ToString();
    }
}
