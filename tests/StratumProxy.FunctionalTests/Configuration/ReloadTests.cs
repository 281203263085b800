using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.Management;

namespace StratumProxy.FunctionalTests.Configuration;

public sealed class ReloadTests
{
    private const int Sessions = 200;

    [Fact]
    public async Task Editing_the_file_moves_new_sessions_to_the_new_destination_while_200_live_sessions_keep_working()
    {
        await using var kept = new RecordingBackend();
        await using var removed = new RecordingBackend();
        await using var added = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(kept.EndPoint, removed.EndPoint);
        config["Limits"] = new JsonObject { ["DrainTimeout"] = "00:00:04" };
        await using var proxy = await ProxyTestHost.StartAsync(config);
        var listener = proxy.Listener("main");

        var miners = new List<TestMiner>();
        try
        {
            for (var i = 0; i < Sessions; i++)
            {
                var miner = await TestMiner.ConnectAsync(listener);
                miners.Add(miner);
                await miner.SendAsync($$"""{"id":1,"method":"mining.subscribe","params":["m{{i}}"]}""");
                Assert.NotNull(await miner.ReadLineAsync());
            }

            Assert.True(removed.Connections.Count > 0 && kept.Connections.Count > 0, "least connections spreads the sessions over both destinations");
            var onRemoved = removed.Connections.Count;

            // The edit: d1 is removed, d2 is added.
            config["Clusters"]!["pool"]!["Destinations"] = new JsonObject
            {
                ["d0"] = new JsonObject { ["Address"] = kept.EndPoint.ToString() },
                ["d2"] = new JsonObject { ["Address"] = added.EndPoint.ToString() },
            };
            await ProxyTestHost.WriteConfigAsync(proxy.ConfigPath, config);
            var reloads = proxy.Get<ProxyMetrics>().ConfigReloads.WithLabels("applied");
            await WaitUntilAsync(() => reloads.Value >= 1, "the edit to be applied");

            // Every one of the 200 sessions still works while the removed destination drains.
            foreach (var miner in miners)
            {
                await miner.SendAsync("""{"id":2,"method":"mining.authorize","params":["w","x"]}""");
                Assert.Contains("\"result\":true", await miner.ReadLineAsync(), StringComparison.Ordinal);
            }

            // New sessions go to the kept and the added destination, never to the removed one.
            for (var i = 0; i < 10; i++)
            {
                await using var late = await TestMiner.ConnectAsync(listener);
                await late.SendAsync("""{"id":1,"method":"mining.subscribe","params":["late"]}""");
                Assert.NotNull(await late.ReadLineAsync());
            }

            Assert.Equal(onRemoved, removed.Connections.Count);
            Assert.True(added.Connections.Count > 0, "the added destination takes new sessions");

            // After the drain time the removed destination's sessions are closed; the others are untouched.
            await WaitUntilAsync(() => removed.Connections.All(c => c.Closed.Task.IsCompleted), "the removed destination's sessions to drain");
            var keptConnections = kept.Connections.Take(Sessions).ToList();
            Assert.All(keptConnections, c => Assert.False(c.Closed.Task.IsCompleted));
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
    public async Task An_invalid_edit_is_rejected_and_the_running_configuration_stays()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        await using var proxy = await ProxyTestHost.StartAsync(config);

        config["Clusters"]!["pool"]!["Destinations"]!["d0"]!["Weight"] = 0;
        await ProxyTestHost.WriteConfigAsync(proxy.ConfigPath, config);
        var rejected = proxy.Get<ProxyMetrics>().ConfigReloads.WithLabels("rejected");
        await WaitUntilAsync(() => rejected.Value >= 1, "the edit to be rejected");

        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync("""{"id":1,"method":"mining.subscribe","params":["after"]}""");
        Assert.NotNull(await miner.ReadLineAsync());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
