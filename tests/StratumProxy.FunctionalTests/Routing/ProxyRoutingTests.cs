using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.Routing;

namespace StratumProxy.FunctionalTests.Routing;

/// <summary>The routing layer inside the real proxy host: miners through a listener, pools the tests start.</summary>
public sealed class ProxyRoutingTests
{
    [Fact]
    public async Task Weighted_least_connections_spreads_held_miners_by_weight()
    {
        await using var a = StratumTestBackend.Start();
        await using var b = StratumTestBackend.Start();
        await using var c = StratumTestBackend.Start();
        var section = Section("LeastConnections", (a, 1, false), (b, 2, false), (c, 3, false));
        await using var proxy = await StartProxyAsync(section);
        var miners = new List<TestMiner>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                miners.Add(await SubscribedMinerAsync(proxy));
            }

            Assert.Equal((2, 4, 6), (a.ActiveConnections, b.ActiveConnections, c.ActiveConnections));
            Assert.True(proxy.Get<ClusterRegistry>().TryGetCluster("pool", out var cluster));
            Assert.Equal([2, 4, 6], cluster.Model.Destinations.Select(d => d.ActiveSessions));
        }
        finally
        {
            foreach (var miner in miners)
            {
                await miner.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_dead_first_choice_is_skipped_and_then_left_out_by_passive_health()
    {
        await using var dead = StratumTestBackend.Start();
        await using var live = StratumTestBackend.Start();
        await dead.StopAsync();
        var section = Section("First", (dead, 1, false), (live, 1, false));
        section["Clusters"]!["pool"]!["HealthCheck"] = new JsonObject
        {
            ["Passive"] = new JsonObject { ["Enabled"] = true, ["MaxFailures"] = 1, ["FailTimeout"] = "01:00:00" },
        };
        await using var proxy = await StartProxyAsync(section);

        await using (var first = await SubscribedMinerAsync(proxy))
        await using (var second = await SubscribedMinerAsync(proxy))
        {
            Assert.Equal(2, live.ConnectionCount);
        }

        Assert.True(proxy.Get<ClusterRegistry>().TryGetCluster("pool", out var cluster));
        var deadState = cluster.Model.Destinations[0];
        Assert.Equal(1, deadState.ConnectFailures);
        Assert.False(deadState.IsAvailable(DateTimeOffset.UtcNow.UtcTicks));
    }

    [Fact]
    public async Task The_backup_serves_only_while_the_primary_is_down()
    {
        await using var primary = StratumTestBackend.Start();
        await using var backup = StratumTestBackend.Start();
        var section = Section("LeastConnections", (primary, 1, false), (backup, 1, true));
        await using var proxy = await StartProxyAsync(section);

        await using (await SubscribedMinerAsync(proxy))
        await using (await SubscribedMinerAsync(proxy))
        {
            Assert.Equal((2, 0), (primary.ConnectionCount, backup.ConnectionCount));
        }

        await primary.StopAsync();
        await using (await SubscribedMinerAsync(proxy))
        {
            Assert.Equal(1, backup.ConnectionCount);
        }
    }

    [Fact]
    public async Task Worker_hashing_sends_each_worker_to_the_same_pool_on_every_reconnect()
    {
        await using var a = StratumTestBackend.Start();
        await using var b = StratumTestBackend.Start();
        var section = Section("Hash", (a, 1, false), (b, 1, false));
        section["Clusters"]!["pool"]!["HashKey"] = "Worker";
        await using var proxy = await StartProxyAsync(section);

        for (var round = 0; round < 2; round++)
        {
            for (var worker = 0; worker < 8; worker++)
            {
                await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
                await miner.SendAsync("""{"id":1,"method":"mining.subscribe","params":["test/1.0"]}""");
                await miner.SendAsync($$"""{"id":2,"method":"mining.authorize","params":["bc1qexample.rig{{worker}}","x"]}""");
                Assert.NotNull(await miner.ReadLineAsync());
                Assert.NotNull(await miner.ReadLineAsync());
            }
        }

        for (var worker = 0; worker < 8; worker++)
        {
            var marker = $"bc1qexample.rig{worker}\"";
            var onA = a.ReceivedLines.Count(l => l.Contains(marker, StringComparison.Ordinal));
            var onB = b.ReceivedLines.Count(l => l.Contains(marker, StringComparison.Ordinal));
            Assert.True((onA, onB) is (2, 0) or (0, 2), $"worker {worker}: {onA} on a, {onB} on b");
        }

        Assert.True(a.ConnectionCount > 0 && b.ConnectionCount > 0, "both pools got workers");

    }

    [Fact]
    public async Task A_reload_sends_new_miners_to_the_new_pool_while_existing_ones_keep_theirs()
    {
        await using var oldPool = StratumTestBackend.Start();
        await using var newPool = StratumTestBackend.Start();
        var section = Section("LeastConnections", (oldPool, 1, false));
        await using var proxy = await StartProxyAsync(section);
        var miners = new List<TestMiner>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                miners.Add(await SubscribedMinerAsync(proxy));
            }

            Assert.True(proxy.Get<ClusterRegistry>().TryGetCluster("pool", out var cluster));
            var oldState = cluster.Model.Destinations[0];
            section["Clusters"]!["pool"]!["Destinations"] = new JsonObject
            {
                ["fresh"] = new JsonObject { ["Address"] = newPool.Address },
            };
            await ProxyTestHost.WriteConfigAsync(proxy.ConfigPath, section);
            ((IConfigurationRoot)proxy.Get<IConfiguration>()).Reload();

            await Eventually.WaitUntilAsync(() => oldState.IsDraining, TimeSpan.FromSeconds(10), "the reload removed the old pool");
            Assert.Equal(["fresh"], cluster.Model.Destinations.Select(d => d.Name));
            foreach (var miner in miners)
            {
                await miner.SendAsync("""{"id":5,"method":"mining.authorize","params":["w","x"]}""");
                Assert.StartsWith("{\"id\":5,\"result\":true", await miner.ReadLineAsync(), StringComparison.Ordinal);
            }

            await using (await SubscribedMinerAsync(proxy))
            {
                Assert.Equal((3, 1), (oldPool.ConnectionCount, newPool.ConnectionCount));
            }
        }
        finally
        {
            foreach (var miner in miners)
            {
                await miner.DisposeAsync();
            }
        }
    }

    private static Task<ProxyTestHost> StartProxyAsync(JsonObject section) => ProxyTestHost.StartAsync(section);

    private static JsonObject Section(string policy, params (StratumTestBackend Backend, int Weight, bool Backup)[] destinations)
    {
        var nodes = new JsonObject();
        for (var i = 0; i < destinations.Length; i++)
        {
            nodes[$"d{i}"] = new JsonObject
            {
                ["Address"] = destinations[i].Backend.Address,
                ["Weight"] = destinations[i].Weight,
                ["Backup"] = destinations[i].Backup,
            };
        }

        return new JsonObject
        {
            ["Listeners"] = new JsonObject { ["main"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Cluster"] = "pool" } },
            ["Clusters"] = new JsonObject
            {
                ["pool"] = new JsonObject { ["LoadBalancingPolicy"] = policy, ["ConnectTimeout"] = "00:00:05", ["Destinations"] = nodes },
            },
        };
    }

    /// <summary>A miner whose subscribe was answered through the proxy, so its session holds a destination.</summary>
    private static async Task<TestMiner> SubscribedMinerAsync(ProxyTestHost proxy)
    {
        var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync("""{"id":1,"method":"mining.subscribe","params":["test/1.0"]}""");
        var answer = await miner.ReadLineAsync();
        Assert.StartsWith("{\"id\":1,\"result\":", answer, StringComparison.Ordinal);
        return miner;
    }
}
