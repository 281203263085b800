using StratumProxy.Routing;
using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing;

public sealed class DestinationSelectorTests
{
    [Theory]
    [InlineData(LoadBalancingPolicyNames.LeastConnections)]
    [InlineData(LoadBalancingPolicyNames.RoundRobin)]
    [InlineData(LoadBalancingPolicyNames.PowerOfTwoChoices)]
    [InlineData(LoadBalancingPolicyNames.Hash)]
    [InlineData(LoadBalancingPolicyNames.First)]
    public void Backups_serve_only_while_no_primary_is_available(string policy)
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(policy, Destination(maxConnections: 3), Destination(), Destination(backup: true), Destination(backup: true)));
        var primaries = cluster.Model.Destinations[..2];

        // All primaries healthy: no backup, ever.
        var picks = AcquireReleased(cluster, 200, i => RoutingKey.FromWorker($"w{i}"));
        Assert.True(picks.Keys.All(n => n is "d0" or "d1"), string.Join(",", picks.Keys));

        // d1 down, d0 at its cap: primaries are unavailable, backups take over.
        primaries[1].RecordProbeResult(false, 1, 1);
        var (held, leases) = AcquireHeld(cluster, 3, i => RoutingKey.FromWorker($"x{i}"));
        var overflow = AcquireReleased(cluster, 50, i => RoutingKey.FromWorker($"y{i}"));
        Assert.True(overflow.Keys.All(n => n is "d2" or "d3"), string.Join(",", overflow.Keys));
        Assert.Equal(3, primaries[0].ActiveSessions);

        // A primary slot frees up: the next session goes back to it.
        leases[0].Dispose();
        using var next = cluster.TryAcquireDestination(RoutingKey.FromWorker("z"));
        Assert.Equal("d0", next!.Destination.Name);
        Assert.Equal(3, held["d0"]);
    }

    [Fact]
    public void Nothing_eligible_gives_no_lease()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.LeastConnections, Destination(maxConnections: 1), Destination(backup: true, maxConnections: 1)));

        using var first = cluster.TryAcquireDestination(default);
        using var second = cluster.TryAcquireDestination(default);
        var third = cluster.TryAcquireDestination(default);

        Assert.Equal("d0", first!.Destination.Name);
        Assert.Equal("d1", second!.Destination.Name);
        Assert.Null(third);
    }

    [Theory]
    [InlineData(LoadBalancingPolicyNames.LeastConnections)]
    [InlineData(LoadBalancingPolicyNames.RoundRobin)]
    [InlineData(LoadBalancingPolicyNames.PowerOfTwoChoices)]
    [InlineData(LoadBalancingPolicyNames.Hash)]
    [InlineData(LoadBalancingPolicyNames.First)]
    public async Task MaxConnections_holds_under_concurrent_acquisition(string policy)
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(policy, Destination(maxConnections: 4), Destination(weight: 3, maxConnections: 2), Destination(backup: true, maxConnections: 3)));
        var caps = cluster.Model.Destinations.ToDictionary(d => d, d => d.Settings.MaxConnections);
        var peaks = new int[3];
        var exceeded = 0;
        using var start = new Barrier(4);

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(10));
            for (var i = 0; i < 5_000; i++)
            {
                var lease = cluster.TryAcquireDestination(RoutingKey.FromWorker($"w{worker}-{i}"));
                if (lease is null)
                {
                    continue;
                }

                var active = lease.Destination.ActiveSessions;
                var index = Array.IndexOf(cluster.Model.Destinations, lease.Destination);
                InterlockedMax(ref peaks[index], active);
                if (active > caps[lease.Destination])
                {
                    Interlocked.Increment(ref exceeded);
                }

                // Hold every other lease a little longer so slots stay contended.
                if (i % 2 == 0)
                {
                    Thread.SpinWait(50);
                }

                lease.Dispose();
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exceeded);
        Assert.True(peaks[0] <= 4 && peaks[1] <= 2 && peaks[2] <= 3, string.Join(",", peaks));
        Assert.All(cluster.Model.Destinations, d => Assert.Equal(0, d.ActiveSessions));
    }

    [Fact]
    public async Task Concurrent_sessions_never_exceed_the_total_cap()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.LeastConnections, Destination(maxConnections: 5), Destination(maxConnections: 5)));
        using var start = new Barrier(8);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(10));
            var mine = new List<DestinationLease>();
            for (var i = 0; i < 10; i++)
            {
                if (cluster.TryAcquireDestination(default) is { } lease)
                {
                    mine.Add(lease);
                }
            }

            return mine;
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(10, results.Sum(r => r.Count));
        Assert.All(cluster.Model.Destinations, d => Assert.Equal(5, d.ActiveSessions));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
