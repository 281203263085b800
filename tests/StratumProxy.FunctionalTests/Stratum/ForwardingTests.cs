using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Stratum.Protocol.ProxyProtocol;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Stratum;

public sealed class ForwardingTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}""";
    private const string Authorize = """{"id":2,"method":"mining.authorize","params":["bc1qworker.rig1","x"]}""";

    [Fact]
    public async Task Lines_flow_both_ways_unchanged()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));

        await miner.SendAsync(Subscribe);
        var reply = await miner.ReadLineAsync();
        Assert.Contains("\"08000002\"", reply);

        var connection = await backend.WaitForConnectionAsync();
        var received = await connection.WaitForBytesAsync(Subscribe.Length + 1);
        Assert.Equal(Subscribe + "\n", Encoding.UTF8.GetString(received));

        const string notify = """{"id":null,"method":"mining.notify","params":["job7","00","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""";
        await connection.SendAsync(notify);
        Assert.Equal(notify, await miner.ReadLineAsync());
    }

    [Fact]
    public async Task Submits_with_one_id_are_matched_in_order_and_counted_per_destination()
    {
        // Accept submits 0 and 2, reject 1: every submit carries id 4, as cpuminer sends them.
        await using var backend = new RecordingBackend(n => n != 1);
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync(Subscribe);
        await miner.ReadLineAsync();
        await miner.SendAsync(Authorize);
        await miner.ReadLineAsync();

        for (var i = 0; i < 3; i++)
        {
            await miner.SendAsync("""{"id":4,"method":"mining.submit","params":["bc1qworker.rig1","job7","00000001","5f5e1000","deadbeef"]}""");
            await miner.ReadLineAsync();
        }

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        var session = await proxy.SingleSessionAsync();
        Assert.Equal("bc1qworker.rig1", session["worker"]!.GetValue<string>());
        Assert.Equal("cpuminer/2.5.1", session["userAgent"]!.GetValue<string>());
        Assert.Equal("08000002", session["extraNonce1"]!.GetValue<string>());
        Assert.Equal(2, session["sharesAccepted"]!.GetValue<long>());
        Assert.Equal(1, session["sharesRejected"]!.GetValue<long>());
        Assert.Equal(0, session["sharesUnanswered"]!.GetValue<long>());

        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("stratum_proxy_shares_total{listener=\"main\",cluster=\"pool\",destination=\"d0\",result=\"accepted\"} 2", metrics);
        Assert.Contains("stratum_proxy_shares_total{listener=\"main\",cluster=\"pool\",destination=\"d0\",result=\"rejected\"} 1", metrics);

        var workers = await http.GetFromJsonAsync<JsonArray>("api/workers");
        Assert.Equal("bc1qworker.rig1", workers!.Single()!["worker"]!.GetValue<string>());
    }

    [Fact]
    public async Task Worker_routing_falls_back_to_the_address_for_a_miner_that_waits_for_its_subscribe_answer()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Clusters"]!["pool"]!["LoadBalancingPolicy"] = "Hash";
        config["Clusters"]!["pool"]!["HashKey"] = "Worker";
        config["Clusters"]!["pool"]!["WorkerRoutingWait"] = "00:00:00.500";
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));

        // Like cpuminer: subscribe, then nothing until the answer comes.
        await miner.SendAsync(Subscribe);
        string? first;
        try
        {
            first = await miner.ReadLineAsync();
        }
        catch (OperationCanceledException)
        {
            first = null;
        }

        Assert.True(first is not null && first.Contains("\"08000002\"", StringComparison.Ordinal), $"got '{first}', backend saw {backend.Connections.Count} connection(s), {backend.Connections.Sum(c => c.Received.Length)} bytes");
        await miner.SendAsync(Authorize);
        Assert.Contains("\"result\":true", await miner.ReadLineAsync());

        var connection = await backend.WaitForConnectionAsync();
        Assert.Equal(Subscribe + "\n" + Authorize + "\n", Encoding.UTF8.GetString(connection.Received));
    }

    [Fact]
    public async Task Difficulty_and_job_from_the_pool_are_tracked()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync(Subscribe);
        await miner.ReadLineAsync();
        var connection = await backend.WaitForConnectionAsync();
        await connection.SendAsync("""{"id":null,"method":"mining.set_difficulty","params":[0.5]}""");
        await connection.SendAsync("""{"id":null,"method":"mining.notify","params":["job42","00","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""");
        await miner.ReadLineAsync();
        await miner.ReadLineAsync();

        var session = await proxy.SingleSessionAsync();
        Assert.Equal(0.5, session["difficulty"]!.GetValue<double>());
        Assert.Equal("job42", session["jobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pool_lines_cut_into_pieces_reach_the_miner_whole_and_are_still_inspected()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync(Subscribe);
        await miner.ReadLineAsync();
        var connection = await backend.WaitForConnectionAsync();

        // A notify of ~6 000 bytes (longer than one receive and one pipe block) cut into 700-byte writes, then two
        // whole lines and the start of a third in one write, then the rest of the third.
        var branches = string.Join(",", Enumerable.Range(0, 90).Select(i => $"\"{i:x64}\""));
        var notify = $$"""{"id":null,"method":"mining.notify","params":["job-cut",{{branches}},"00","01","20000000","1d00ffff","5f5e1000",true]}""";
        var stream = connection.Client.GetStream();
        var bytes = Encoding.UTF8.GetBytes(notify + "\n");
        for (var offset = 0; offset < bytes.Length; offset += 700)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(700, bytes.Length - offset)));
            await stream.FlushAsync();
        }

        const string difficulty = """{"id":null,"method":"mining.set_difficulty","params":[2]}""";
        const string last = """{"id":null,"method":"mining.notify","params":["job-last","00","01","02",[],"20000000","1d00ffff","5f5e1000",false]}""";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(difficulty + "\r\n" + difficulty + "\n" + last[..40]));
        await stream.FlushAsync();

        Assert.Equal(notify, await miner.ReadLineAsync());
        Assert.Equal(difficulty, await miner.ReadLineAsync());
        Assert.Equal(difficulty, await miner.ReadLineAsync());
        await stream.WriteAsync(Encoding.UTF8.GetBytes(last[40..] + "\n"));
        Assert.Equal(last, await miner.ReadLineAsync());

        var session = await proxy.SingleSessionAsync();
        Assert.Equal(2, session["difficulty"]!.GetValue<double>());
        Assert.Equal("job-last", session["jobId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_pool_line_longer_than_the_limit_closes_the_session()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Limits"] = new JsonObject { ["MaxLineBytes"] = 1024 };
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync(Subscribe);
        await miner.ReadLineAsync();
        var connection = await backend.WaitForConnectionAsync();
        const string before = """{"id":null,"method":"mining.set_difficulty","params":[4]}""";
        await connection.SendAsync(before);
        Assert.Equal(before, await miner.ReadLineAsync());

        // Sent in pieces without a newline: the proxy refuses it once the pending part passes the limit.
        var stream = connection.Client.GetStream();
        var piece = Encoding.ASCII.GetBytes("{\"id\":null,\"method\":\"" + new string('a', 600));
        await stream.WriteAsync(piece);
        await stream.FlushAsync();
        await stream.WriteAsync(piece);
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string metrics;
        while (!(metrics = await http.GetStringAsync("metrics")).Contains("stratum_proxy_sessions_closed_total{listener=\"main\",reason=\"line_too_long\"} 1", StringComparison.Ordinal)
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Contains("stratum_proxy_sessions_closed_total{listener=\"main\",reason=\"line_too_long\"} 1", metrics);
    }

    [Fact]
    public async Task A_line_that_is_not_json_closes_the_session_and_is_counted()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync("GET / HTTP/1.1");
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("stratum_proxy_rejected_connections_total{listener=\"main\",reason=\"invalid_json\"} 1", metrics);

        // The malformed line never reached the pool.
        var connection = await backend.WaitForConnectionAsync();
        Assert.DoesNotContain("GET", Encoding.UTF8.GetString(connection.Received));
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_closes_the_session()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Limits"] = new JsonObject { ["MaxLineBytes"] = 1024 };
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendRawAsync(Encoding.ASCII.GetBytes("{\"id\":1,\"method\":\"" + new string('a', 2000)));
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        Assert.Contains("reason=\"line_too_long\"} 1", await http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task A_miner_that_sends_no_line_within_the_handshake_timeout_is_closed()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Limits"] = new JsonObject { ["HandshakeTimeout"] = "00:00:01" };
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendRawAsync("{\"id\":1,"u8.ToArray()); // a partial line does not complete the handshake

        var started = DateTime.UtcNow;
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(700));

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        Assert.Contains("reason=\"handshake_timeout\"} 1", await http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task A_session_with_no_traffic_is_closed_after_the_idle_timeout()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Limits"] = new JsonObject { ["IdleTimeout"] = "00:00:01" };
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync(Subscribe);
        Assert.NotNull(await miner.ReadLineAsync());

        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        Assert.Contains("stratum_proxy_sessions_closed_total{listener=\"main\",reason=\"idle_timeout\"} 1", await http.GetStringAsync("metrics"));
    }

    [Theory]
    [InlineData("V1")]
    [InlineData("V2")]
    public async Task The_destination_receives_the_exact_proxy_header_then_the_miners_bytes(string version)
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Clusters"]!["pool"]!["ProxyProtocol"] = version;
        await using var proxy = await ProxyTestHost.StartAsync(config);
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        // The stand-in pool cannot read a binary v2 header, so only the bytes it received are checked.
        await miner.SendAsync(Subscribe);

        var connection = await backend.WaitForConnectionAsync();
        var clientEndPoint = (IPEndPoint)GetLocalEndPoint(miner);
        var listener = proxy.Listener("main");
        var expected = new System.Buffers.ArrayBufferWriter<byte>();
        if (version == "V1")
        {
            ProxyProtocolWriter.WriteV1(expected, clientEndPoint, listener);
            Assert.Equal($"PROXY TCP4 127.0.0.1 127.0.0.1 {clientEndPoint.Port} {listener.Port}\r\n", Encoding.ASCII.GetString(expected.WrittenSpan));
        }
        else
        {
            ProxyProtocolWriter.WriteV2(expected, clientEndPoint, listener);
            Assert.Equal(28, expected.WrittenCount);
        }

        var received = await connection.WaitForBytesAsync(expected.WrittenCount + Subscribe.Length + 1);
        Assert.Equal(expected.WrittenSpan.ToArray(), received[..expected.WrittenCount]);
        Assert.Equal(Subscribe + "\n", Encoding.UTF8.GetString(received[expected.WrittenCount..]));
    }

    [Fact]
    public async Task An_inbound_proxy_header_from_a_trusted_balancer_sets_the_client_address_and_is_passed_on()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["AcceptProxyProtocol"] = true;
        config["Clusters"]!["pool"]!["ProxyProtocol"] = "V1";
        await using var proxy = await ProxyTestHost.StartAsync(config);

        var header = new System.Buffers.ArrayBufferWriter<byte>();
        ProxyProtocolWriter.WriteV2(header, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51000), new IPEndPoint(IPAddress.Parse("198.51.100.1"), 3333));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"), header.WrittenSpan.ToArray());
        await miner.SendAsync(Subscribe);
        Assert.NotNull(await miner.ReadLineAsync());

        var connection = await backend.WaitForConnectionAsync();
        var received = Encoding.ASCII.GetString(await connection.WaitForBytesAsync(20));
        Assert.StartsWith("PROXY TCP4 203.0.113.7 198.51.100.1 51000 3333\r\n", received);

        var session = await proxy.SingleSessionAsync();
        Assert.Equal("203.0.113.7:51000", session["client"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_proxy_header_from_an_untrusted_peer_is_not_believed()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["AcceptProxyProtocol"] = true;
        config["Listeners"]!["main"]!["TrustedProxies"] = new JsonArray("10.9.8.7/32");
        await using var proxy = await ProxyTestHost.StartAsync(config);

        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"), "PROXY TCP4 203.0.113.7 198.51.100.1 51000 3333\r\n"u8.ToArray());
        try
        {
            await miner.SendAsync(Subscribe);
        }
        catch (IOException)
        {
            // The proxy may already have closed the session on the header line and reset the connection.
        }

        // The forged header reaches the Stratum framing as a line that is not JSON: the session is closed.
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        Assert.Contains("reason=\"invalid_json\"} 1", await http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task A_trusted_peer_without_a_proxy_header_is_refused()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["AcceptProxyProtocol"] = true;
        await using var proxy = await ProxyTestHost.StartAsync(config);

        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        await miner.SendAsync(Subscribe);
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(backend.Connections);
    }

    [Fact]
    public async Task No_reachable_destination_closes_the_miner_and_counts_no_destination()
    {
        // A socket bound but not listening holds the port for the whole test: connects to it are refused.
        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dead = (IPEndPoint)holder.LocalEndPoint!;
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(dead));
        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"));
        Assert.True(await miner.WaitForCloseAsync(TimeSpan.FromSeconds(15)));

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        Assert.Contains("reason=\"no_destination\"} 1", await http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task Metrics_endpoint_exposes_the_documented_series()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        string? reply;
        await using (var miner = await TestMiner.ConnectAsync(proxy.Listener("main")))
        {
            await miner.SendAsync(Subscribe);
            reply = await miner.ReadLineAsync();
        }

        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string metrics;
        do
        {
            metrics = await http.GetStringAsync("metrics");
        }
        while (!metrics.Contains("stratum_proxy_session_duration_seconds_count{listener=\"main\"} 1") && DateTime.UtcNow < deadline);

        // The byte counters are kept per event loop and summed at the scrape: each line counts once, with its newline.
        Assert.NotNull(reply);
        foreach (var name in new[]
        {
            "stratum_proxy_sessions_active{listener=\"main\"} 0",
            "stratum_proxy_sessions_total{listener=\"main\"} 1",
            "stratum_proxy_destination_sessions_total{cluster=\"pool\",destination=\"d0\"} 1",
            $"stratum_proxy_client_bytes_received_total{{listener=\"main\"}} {Encoding.UTF8.GetByteCount(Subscribe) + 1}\n",
            $"stratum_proxy_client_bytes_sent_total{{listener=\"main\"}} {Encoding.UTF8.GetByteCount(reply) + 1}\n",
            "stratum_proxy_session_duration_seconds_count{listener=\"main\"} 1",
        })
        {
            Assert.Contains(name, metrics);
        }

        Assert.Equal("ok\n", await http.GetStringAsync("healthz"));
    }

    private static EndPoint GetLocalEndPoint(TestMiner miner) =>
        ((System.Net.Sockets.NetworkStream)miner.Stream).Socket.LocalEndPoint!;
}
