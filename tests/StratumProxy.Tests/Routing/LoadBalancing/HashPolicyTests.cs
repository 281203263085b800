using System.Net;
using StratumProxy.Configuration;
using StratumProxy.Routing;
using StratumProxy.Routing.LoadBalancing;
using static StratumProxy.Tests.Routing.RoutingTestHarness;

namespace StratumProxy.Tests.Routing.LoadBalancing;

public sealed class HashPolicyTests
{
    private const int Keys = 10_000;

    [Fact]
    public void The_same_key_always_reaches_the_same_destination()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.Hash, Destination(), Destination(), Destination(), Destination()));

        for (var i = 0; i < 200; i++)
        {
            var key = RoutingKey.FromWorker($"bc1qminer.rig{i}");
            var first = Pick(cluster, key);
            Assert.All(Enumerable.Range(0, 5), _ => Assert.Equal(first, Pick(cluster, key)));
        }
    }

    [Fact]
    public void Keys_spread_in_proportion_to_weight()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.Hash, Destination(1), Destination(2), Destination(3)));

        var picks = AcquireReleased(cluster, Keys, i => RoutingKey.FromWorker($"worker{i}"));

        Assert.InRange(picks["d0"] / (double)Keys, 1 / 6.0 - 0.05, 1 / 6.0 + 0.05);
        Assert.InRange(picks["d1"] / (double)Keys, 2 / 6.0 - 0.05, 2 / 6.0 + 0.05);
        Assert.InRange(picks["d2"] / (double)Keys, 3 / 6.0 - 0.05, 3 / 6.0 + 0.05);
    }

    [Fact]
    public void Adding_a_fifth_destination_remaps_about_a_fifth_of_the_keys_all_to_it()
    {
        using var harness = new RoutingTestHarness();
        var four = Destinations(Destination(), Destination(), Destination(), Destination());
        var cluster = harness.Apply(new ClusterOptions { LoadBalancingPolicy = "hash", Destinations = four });
        var before = Enumerable.Range(0, Keys).Select(i => Pick(cluster, ClientKey(i))).ToArray();

        var five = new Dictionary<string, DestinationOptions>(four, StringComparer.OrdinalIgnoreCase) { ["d4"] = Destination() };
        harness.Apply(new ClusterOptions { LoadBalancingPolicy = "hash", Destinations = five });
        var after = Enumerable.Range(0, Keys).Select(i => Pick(cluster, ClientKey(i))).ToArray();

        var moved = Enumerable.Range(0, Keys).Where(i => before[i] != after[i]).ToArray();
        Assert.InRange(moved.Length / (double)Keys, 0.1, 0.3);
        Assert.All(moved, i => Assert.Equal("d4", after[i]));
    }

    [Fact]
    public void An_unavailable_destination_moves_only_its_own_keys()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.Hash, Destination(), Destination(), Destination(), Destination()));
        var before = Enumerable.Range(0, Keys).Select(i => Pick(cluster, ClientKey(i))).ToArray();

        cluster.Model.Destinations[2].RecordProbeResult(false, 1, 1);
        var after = Enumerable.Range(0, Keys).Select(i => Pick(cluster, ClientKey(i))).ToArray();

        for (var i = 0; i < Keys; i++)
        {
            if (before[i] == "d2")
            {
                Assert.NotEqual("d2", after[i]);
            }
            else
            {
                Assert.Equal(before[i], after[i]);
            }
        }

        // Its keys spread over the survivors rather than piling onto one neighbour.
        var moved = after.Where((name, i) => before[i] == "d2").GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, moved.Count);
    }

    [Fact]
    public void Ipv4_mapped_ipv6_clients_hash_like_their_ipv4_form()
    {
        var v4 = IPAddress.Parse("203.0.113.7");
        Assert.Equal(RoutingKey.FromClientAddress(v4).Hash, RoutingKey.FromClientAddress(v4.MapToIPv6()).Hash);
        Assert.NotEqual(RoutingKey.FromClientAddress(v4).Hash, RoutingKey.FromClientAddress(IPAddress.Parse("203.0.113.8")).Hash);
        Assert.Equal(RoutingKey.FromWorker("w").Hash, RoutingKey.For(HashKeyKind.Worker, v4, "w").Hash);
        Assert.Equal(RoutingKey.FromClientAddress(v4).Hash, RoutingKey.For(HashKeyKind.ClientIp, v4, "w").Hash);
    }

    [Fact]
    public void Ring_has_160_points_per_unit_of_weight()
    {
        using var harness = new RoutingTestHarness();
        var cluster = harness.Apply(Cluster(LoadBalancingPolicyNames.Hash, Destination(1), Destination(3)));

        var ring = Assert.IsType<ConsistentHashRing>(cluster.Model.Primaries.PolicyState);

        Assert.Equal(160 * 4, ring.Count);
    }

    private static RoutingKey ClientKey(int i) =>
        RoutingKey.FromClientAddress(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]));

    private static string Pick(ClusterState cluster, RoutingKey key)
    {
        using var lease = cluster.TryAcquireDestination(key) ?? throw new InvalidOperationException("no destination");
        return lease.Destination.Name;
    }
}
