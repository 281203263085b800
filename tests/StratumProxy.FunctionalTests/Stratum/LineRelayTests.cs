using System.Net;
using System.Net.Sockets;
using System.Text;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Stratum;

/// <summary>
/// Plain sessions are forwarded on the event loop without the connection's pipes: what that path must keep of
/// TCP and of lines, against a pool on a raw socket that controls its own writes and ends.
/// </summary>
public sealed class LineRelayTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}""";
    private const string Authorize = """{"id":2,"method":"mining.authorize","params":["bc1qworker.rig1","x"]}""";
    private const string Submit = """{"id":4,"method":"mining.submit","params":["bc1qworker.rig1","job7","00000001","5f5e1000","deadbeef"]}""";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_miner_that_stops_reading_holds_the_pool_back_and_then_gets_every_line_in_order()
    {
        // A small receive window on the miner keeps the kernel's own buffering well below what the pool sends.
        await using var session = await RawPoolSession.StartAsync(minerReceiveBuffer: 64 * 1024);
        var (proxy, miner, poolSide) = (session.Proxy, session.Miner, session.PoolSide);

        // 32 MiB of 2 KiB notifies: more than every socket buffer on the way holds together, so the pool can only
        // finish writing if the proxy buffers without bound, or once the miner reads.
        const int lines = 16 * 1024;
        var padding = new string('a', 2000);
        var poolWrite = Task.Run(async () =>
        {
            var stream = poolSide.GetStream();
            for (var i = 0; i < lines; i++)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($$"""{"id":null,"method":"mining.notify","params":["{{i}}","{{padding}}"]}""" + "\n"));
            }
        });

        var finished = await Task.WhenAny(poolWrite, Task.Delay(TimeSpan.FromSeconds(1)));
        Assert.NotSame(poolWrite, finished);

        using var reader = new StreamReader(miner.GetStream(), Encoding.ASCII);
        using var timeout = new CancellationTokenSource(Deadline);
        for (var i = 0; i < lines; i++)
        {
            var line = await reader.ReadLineAsync(timeout.Token);
            Assert.Equal($$"""{"id":null,"method":"mining.notify","params":["{{i}}","{{padding}}"]}""", line);
        }

        await poolWrite.WaitAsync(Deadline);
        var status = await proxy.SingleSessionAsync();
        Assert.Equal((lines - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), status["jobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_miner_line_sent_a_byte_at_a_time_reaches_the_pool_whole_and_is_matched()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        using var miner = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await miner.ConnectAsync(proxy.Listener("main"));
        var stream = miner.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(Deadline);

        await stream.WriteAsync(Encoding.ASCII.GetBytes(Subscribe + "\n" + Authorize + "\n"), timeout.Token);
        await reader.ReadLineAsync(timeout.Token);
        await reader.ReadLineAsync(timeout.Token);
        var connection = await backend.WaitForConnectionAsync();
        var before = connection.Received.Length;

        var submit = Encoding.ASCII.GetBytes(Submit + "\n");
        foreach (var b in submit)
        {
            await stream.WriteAsync(new[] { b }, timeout.Token);
        }

        Assert.Equal("""{"id":4,"result":true,"error":null}""", await reader.ReadLineAsync(timeout.Token));
        var received = await connection.WaitForBytesAsync(before + submit.Length);
        Assert.Equal(Submit + "\n", Encoding.ASCII.GetString(received, before, received.Length - before));
        var session = await proxy.SingleSessionAsync();
        Assert.Equal(1, session["sharesAccepted"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_miner_that_ends_its_side_still_gets_the_pools_answer_and_then_the_end()
    {
        await using var session = await RawPoolSession.StartAsync();
        var (proxy, miner, poolSide) = (session.Proxy, session.Miner, session.PoolSide);
        using var timeout = new CancellationTokenSource(Deadline);

        var minerStream = miner.GetStream();
        await minerStream.WriteAsync(Encoding.ASCII.GetBytes(Submit + "\n"), timeout.Token);
        miner.Client.Shutdown(SocketShutdown.Send);

        // The pool sees the submit, then the end of the miner's side, and only then answers and closes.
        var poolStream = poolSide.GetStream();
        using var poolReader = new StreamReader(poolStream, Encoding.ASCII);
        Assert.Equal(Submit, await poolReader.ReadLineAsync(timeout.Token));
        Assert.Null(await poolReader.ReadLineAsync(timeout.Token));
        await poolStream.WriteAsync(Encoding.ASCII.GetBytes("""{"id":4,"result":true,"error":null}""" + "\n"), timeout.Token);
        poolSide.Client.Shutdown(SocketShutdown.Send);

        using var reader = new StreamReader(minerStream, Encoding.ASCII);
        Assert.Equal("""{"id":4,"result":true,"error":null}""", await reader.ReadLineAsync(timeout.Token));
        Assert.Null(await reader.ReadLineAsync(timeout.Token));
        await WaitForClosedAsync(proxy, "client_closed");
    }

    [Fact]
    public async Task A_pool_that_closes_delivers_its_whole_lines_drops_its_cut_one_and_closes_the_miner()
    {
        await using var session = await RawPoolSession.StartAsync();
        var (proxy, miner, poolSide) = (session.Proxy, session.Miner, session.PoolSide);
        using var timeout = new CancellationTokenSource(Deadline);

        const string difficulty = """{"id":null,"method":"mining.set_difficulty","params":[8]}""";
        const string notify = """{"id":null,"method":"mining.notify","params":["job9","00","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""";
        await poolSide.GetStream().WriteAsync(Encoding.ASCII.GetBytes(difficulty + "\n" + notify + "\n" + notify[..30]), timeout.Token);
        poolSide.Client.Shutdown(SocketShutdown.Send);

        using var reader = new StreamReader(miner.GetStream(), Encoding.ASCII);
        Assert.Equal(difficulty, await reader.ReadLineAsync(timeout.Token));
        Assert.Equal(notify, await reader.ReadLineAsync(timeout.Token));
        Assert.Null(await reader.ReadLineAsync(timeout.Token));
        await WaitForClosedAsync(proxy, "destination_closed");
    }

    [Fact]
    public async Task Lines_read_while_waiting_for_the_worker_go_first_and_a_cut_one_is_completed_later()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Clusters"]!["pool"]!["LoadBalancingPolicy"] = "Hash";
        config["Clusters"]!["pool"]!["HashKey"] = "Worker";
        await using var proxy = await ProxyTestHost.StartAsync(config);
        using var miner = new TcpClient(AddressFamily.InterNetwork);
        await miner.ConnectAsync(proxy.Listener("main"));
        var stream = miner.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(Deadline);

        // Subscribe, authorize and the start of a submit in one write: the proxy reads them before it connects.
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Subscribe + "\n" + Authorize + "\n" + Submit[..50]), timeout.Token);
        Assert.Contains("\"08000002\"", await reader.ReadLineAsync(timeout.Token));
        Assert.Equal("""{"id":2,"result":true,"error":null}""", await reader.ReadLineAsync(timeout.Token));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Submit[50..] + "\n"), timeout.Token);
        Assert.Equal("""{"id":4,"result":true,"error":null}""", await reader.ReadLineAsync(timeout.Token));

        var connection = await backend.WaitForConnectionAsync();
        var expected = Subscribe + "\n" + Authorize + "\n" + Submit + "\n";
        Assert.Equal(expected, Encoding.ASCII.GetString(await connection.WaitForBytesAsync(expected.Length)));
        var session = await proxy.SingleSessionAsync();
        Assert.Equal("bc1qworker.rig1", session["worker"]!.GetValue<string>());
        Assert.Equal(1, session["sharesAccepted"]!.GetValue<long>());
    }

    /// <summary>A proxy in front of a pool on a raw socket, one miner connected and the pool's side of it accepted.</summary>
    private sealed class RawPoolSession(TcpListener pool, ProxyTestHost proxy, TcpClient miner, TcpClient poolSide) : IAsyncDisposable
    {
        public ProxyTestHost Proxy => proxy;

        public TcpClient Miner => miner;

        public TcpClient PoolSide => poolSide;

        public static async Task<RawPoolSession> StartAsync(int? minerReceiveBuffer = null)
        {
            var pool = new TcpListener(IPAddress.Loopback, 0);
            pool.Start();
            var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener((IPEndPoint)pool.LocalEndpoint));
            var miner = new TcpClient(AddressFamily.InterNetwork);
            if (minerReceiveBuffer is { } size)
            {
                // Set before the connect, so the window stays small.
                miner.ReceiveBufferSize = size;
            }

            await miner.ConnectAsync(proxy.Listener("main"));
            var poolSide = await pool.AcceptTcpClientAsync().WaitAsync(Deadline);
            return new RawPoolSession(pool, proxy, miner, poolSide);
        }

        public async ValueTask DisposeAsync()
        {
            miner.Dispose();
            poolSide.Dispose();
            await proxy.DisposeAsync();
            pool.Dispose();
        }
    }

    private static async Task WaitForClosedAsync(ProxyTestHost proxy, string reason)
    {
        using var http = new HttpClient { BaseAddress = proxy.ManagementUri, Timeout = Deadline };
        var series = $"stratum_proxy_sessions_closed_total{{listener=\"main\",reason=\"{reason}\"}} 1";
        var deadline = DateTime.UtcNow + Deadline;
        string metrics;
        while (!(metrics = await http.GetStringAsync("metrics")).Contains(series, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no {series} in:\n{metrics}");
            await Task.Delay(20);
        }

        Assert.Empty((await proxy.StatusAsync())["sessions"]!.AsArray());
    }
}
