using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Stratum;

/// <summary>
/// A proxy process with a small open-files limit: miners beyond what the descriptors allow are refused, and the
/// process (which the runtime aborts when it cannot open a file of its own) stays up.
/// </summary>
public sealed class DescriptorExhaustionTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["test"]}""";

    /// <summary>Room for the runtime's own descriptors (assemblies, pipes, epoll, listeners: about 210) and ~100 miners.</summary>
    private const int OpenFilesLimit = 420;

    private const int MaxMiners = 400;

    [Fact]
    public async Task Miners_beyond_the_open_files_limit_are_refused_and_the_proxy_serves_again_once_they_leave()
    {
        if (!File.Exists("/bin/bash"))
        {
            Assert.Fail("bash is needed to start the proxy with a lower open-files limit.");
        }

        await using var backend = new RecordingBackend();
        // Chosen now, bound by a process that starts later: from below the ephemeral range, which nothing else takes.
        var port = LoopbackEndpoints.ReservedPort();
        var managementPort = LoopbackEndpoints.ReservedPort();
        var directory = Path.Combine(Path.GetTempPath(), "stratum-proxy-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["Endpoint"] = $"127.0.0.1:{port}";
        config["Management"] = new JsonObject { ["Endpoint"] = $"127.0.0.1:{managementPort}" };
        config["DataPath"] = Path.Combine(directory, "data");
        var path = Path.Combine(directory, "proxy.json");
        await ProxyTestHost.WriteConfigAsync(path, config);

        await using var process = ProxyProcess.Start(path, directory, OpenFilesLimit);
        var miners = new List<TestMiner>();
        try
        {
            await WaitForListenerAsync(process, port, TimeSpan.FromSeconds(60));
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);

            // Open miners one by one until some are refused (closed, or no answer), at most MaxMiners.
            var served = 0;
            var refused = 0;
            for (var i = 0; i < MaxMiners && refused < 5; i++)
            {
                var miner = await TryServeAsync(endPoint);
                if (miner is null)
                {
                    refused++;
                }
                else
                {
                    served++;
                    miners.Add(miner);
                }
            }

            Assert.True(refused > 0, $"all {served} miners were served: the open-files limit was not reached");
            Assert.True(served > 10, $"only {served} miners were served before the limit");
            AssertRunning(process);

            // The miners already served keep working.
            await miners[0].SendAsync("""{"id":2,"method":"mining.authorize","params":["w","x"]}""");
            Assert.Contains("\"result\":true", await miners[0].ReadLineAsync());

            foreach (var miner in miners)
            {
                await miner.DisposeAsync();
            }

            miners.Clear();

            // Once they are gone, a new miner is served again.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            TestMiner? again = null;
            while (again is null && DateTime.UtcNow < deadline && !process.HasExited)
            {
                again = await TryServeAsync(endPoint);
            }

            Assert.NotNull(again);
            await again.DisposeAsync();
            AssertRunning(process);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}/") };
            var metrics = await http.GetStringAsync("metrics");
            // Refused at the door by the descriptor budget (or, past it, for want of a socket to the pool).
            Assert.Matches("reason=\"(max_connections|no_destination)\"", metrics);
        }
        finally
        {
            foreach (var miner in miners)
            {
                await miner.DisposeAsync();
            }

            await process.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }

        // The operator is told at start-up how few miners the limit allows.
        Assert.Matches(@"The open-files limit leaves room for only \d+ miners", process.StandardOutput);
    }

    private static void AssertRunning(ProxyProcess process)
    {
        if (process.HasExited)
        {
            Assert.Fail($"the proxy exited with code {process.ExitCode}: {process.StandardError}");
        }
    }

    /// <summary>A miner whose subscribe was answered, or null when the proxy closed it or did not answer in time.</summary>
    private static async Task<TestMiner?> TryServeAsync(IPEndPoint endPoint)
    {
        TestMiner? miner = null;
        try
        {
            miner = await TestMiner.ConnectAsync(endPoint);
            await miner.SendAsync(Subscribe);
            if (await miner.ReadLineAsync(TimeSpan.FromSeconds(2)) is not null)
            {
                return miner;
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
        }

        if (miner is not null)
        {
            await miner.DisposeAsync();
        }

        return null;
    }

    private static async Task WaitForListenerAsync(ProxyProcess process, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"The proxy did not listen on {port} ({(process.HasExited ? $"exit code {process.ExitCode}: {process.StandardError}" : "running")}).");
    }
}
