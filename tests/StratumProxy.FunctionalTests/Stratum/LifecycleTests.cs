using System.Diagnostics;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Stratum;

public sealed class LifecycleTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["test"]}""";

    [Fact]
    public async Task Shutdown_stops_accepting_lets_sessions_work_during_the_drain_then_closes_them()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Limits"] = new JsonObject { ["DrainTimeout"] = "00:00:03" };
        var proxy = await ProxyTestHost.StartAsync(config);
        var endPoint = proxy.Listener("main");
        await using var miner = await TestMiner.ConnectAsync(endPoint);
        await miner.SendAsync(Subscribe);
        Assert.NotNull(await miner.ReadLineAsync());

        var stopwatch = Stopwatch.StartNew();
        var stopping = proxy.StopAsync();

        // New miners are refused once the drain starts.
        var refusedDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var refused = false;
        while (!refused && DateTime.UtcNow < refusedDeadline)
        {
            try
            {
                await using var late = await TestMiner.ConnectAsync(endPoint);
                await late.SendAsync(Subscribe);
                refused = await late.ReadLineAsync(TimeSpan.FromMilliseconds(300)) is null;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
            {
                refused = true;
            }
        }

        Assert.True(refused, "a new connection was still served after shutdown began");

        // The established session keeps working while it drains.
        await miner.SendAsync("""{"id":2,"method":"mining.authorize","params":["w","x"]}""");
        Assert.Contains("\"result\":true", await miner.ReadLineAsync());

        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(15)));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(2.5), $"closed after {stopwatch.Elapsed}");
        await stopping;
        await proxy.DisposeAsync();
    }

    [Fact]
    public async Task An_invalid_configuration_stops_startup_with_the_key_and_a_nonzero_exit_code()
    {
        var directory = Path.Combine(Path.GetTempPath(), "stratum-proxy-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "bad.json");
        var config = ProxyTestHost.SingleListener(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 13333));
        config["Listeners"]!["main"]!["Cluster"] = "missing";
        config["Clusters"]!["pool"]!["Destinations"]!["d0"]!["Weight"] = 0;
        await ProxyTestHost.WriteConfigAsync(path, config);

        await using var proxy = ProxyProcess.Start(path, directory);
        Assert.True(await proxy.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the proxy did not stop");

        Assert.NotEqual(0, proxy.ExitCode);
        Assert.Contains("Proxy:Listeners:main:Cluster: unknown cluster 'missing'", proxy.StandardError);
        Assert.Contains("Proxy:Clusters:pool:Destinations:d0:Weight: must be at least 1", proxy.StandardError);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_hostile_session_is_closed_while_others_keep_working()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Limits"] = new JsonObject { ["MaxLineBytes"] = 4096 };
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var good = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await good.SendAsync(Subscribe);
        Assert.NotNull(await good.ReadLineAsync());

        byte[][] payloads =
        [
            [.. "{\"id\":1,\"method\":\"x\",\"params\":"u8, .. System.Text.Encoding.ASCII.GetBytes(new string('[', 3000)), (byte)'\n'],
            [0xC3, 0x28, 0xFF, 0xFE, (byte)'\n'],
            System.Text.Encoding.ASCII.GetBytes(new string('x', 20000)),
            "{\"id\":1}{\"id\":2}\n"u8.ToArray(),
        ];
        foreach (var payload in payloads)
        {
            await using var hostile = await TestMiner.ConnectAsync(proxy.Listener("main"));
            await hostile.SendRawAsync(payload);
            Assert.True(await hostile.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        }

        await good.SendAsync("""{"id":2,"method":"mining.authorize","params":["w","x"]}""");
        Assert.Contains("\"result\":true", await good.ReadLineAsync());
    }
}
