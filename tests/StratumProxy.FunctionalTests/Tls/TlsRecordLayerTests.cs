using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.FunctionalTests.Stratum;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>
/// The proxy's own TLS handshake and record layer: the handshake is made on OpenSSL and the miner's records are
/// decrypted and encrypted with OpenSSL on the connection's socket. Real TLS clients (the runtime's and <c>openssl s_client</c>) on loopback.
/// </summary>
public sealed class TlsRecordLayerTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["bitaxe/2.4"]}""";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Records_after_the_handshake_go_through_the_proxys_own_record_layer(SslProtocols protocol)
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        await using var miner = await TlsMiner.ConnectAsync(proxy, protocol);

        await miner.SubscribeAsync();
        await miner.SendAsync("""{"id":4,"method":"mining.submit","params":["w","j","00000000","5f5e1000","00000001"]}""");
        Assert.Contains("\"result\":true", await miner.ReadLineAsync(), StringComparison.Ordinal);

        var metrics = proxy.Get<TlsMetrics>();
        Assert.Equal(1, metrics.HandshakeEngineCount("openssl"));
        Assert.Equal(0, metrics.HandshakeEngineCount("stream"));
        Assert.Equal(1, metrics.RecordLayerCount("openssl"));
        Assert.Equal(0, metrics.RecordLayerCount("stream"));
        var connection = await backend.WaitForConnectionAsync();
        Assert.StartsWith(Subscribe + "\n{\"id\":4,", Encoding.UTF8.GetString(connection.Received), StringComparison.Ordinal);

        // The miner's close_notify and FIN end the session, and the pool's side with it.
        await miner.Tls.ShutdownAsync();
        miner.Tcp.Client.Shutdown(SocketShutdown.Send);
        await connection.Closed.Task.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_line_sent_in_the_same_segment_as_the_clients_finished_is_not_lost()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));

        // TLS 1.3: the client's Finished is its last handshake flight and needs no answer, so it can wait for the line.
        await using var miner = await TlsMiner.ConnectAsync(proxy, SslProtocols.Tls13, holdFinished: true);
        await miner.SendAsync(Subscribe);
        Assert.True(miner.Holding!.HeldBytes > 0, "the Finished and the line were held back");
        await miner.Holding.ReleaseAsync(miner.Timeout);

        Assert.Contains("\"08000002\"", await miner.ReadLineAsync(), StringComparison.Ordinal);
        var connection = await backend.WaitForConnectionAsync();
        Assert.Equal(Subscribe + "\n", Encoding.UTF8.GetString(connection.Received));
        Assert.Equal(1, proxy.Get<TlsMetrics>().RecordLayerCount("openssl"));
    }

    [Fact]
    public async Task A_miner_that_never_sends_its_finished_is_closed_at_the_handshake_timeout_and_counted_once()
    {
        await using var backend = new RecordingBackend();
        var config = TlsStratumTests.TlsListener(backend);
        config["Limits"] = new JsonObject { ["HandshakeTimeout"] = "00:00:01" };
        await using var proxy = await ProxyTestHost.StartAsync(config);

        // TLS 1.3: the client counts its handshake done once it has sent its Finished, which is held back here. The
        // proxy's budget runs from its accept, after this clock started.
        var started = Stopwatch.StartNew();
        await using var miner = await TlsMiner.ConnectAsync(proxy, SslProtocols.Tls13, holdFinished: true);
        Assert.True(await ReadUntilClosedAsync(miner.Tcp.GetStream(), new byte[256], miner.Timeout), "the proxy closed the connection");
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(900), $"closed after {started.Elapsed}, before the timeout");

        var metrics = proxy.Get<TlsMetrics>();
        await Eventually.UntilAsync(() => metrics.HandshakeCount("failure", "unknown") == 1, Deadline, "the failed handshake to be counted");
        Assert.Equal(1, metrics.HandshakeEngineCount("openssl"));
        Assert.Equal(0, metrics.HandshakeCount("success", "tls13"));
        Assert.Equal(0, metrics.RecordLayerCount("openssl"));

        // The port serves the next miner.
        await using var next = await TlsMiner.ConnectAsync(proxy);
        await next.SubscribeAsync();
        Assert.Equal(1, metrics.HandshakeCount("failure", "unknown"));
    }

    [Fact]
    public async Task A_line_and_the_end_of_stream_right_behind_the_clients_finished_reach_the_pool()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        await using var miner = await TlsMiner.ConnectAsync(proxy, SslProtocols.Tls13, holdFinished: true);
        await miner.SendAsync(Subscribe);
        await miner.Holding!.ReleaseAsync(miner.Timeout);
        miner.Tcp.Client.Shutdown(SocketShutdown.Send);

        var connection = await backend.WaitForConnectionAsync();
        var received = await connection.WaitForBytesAsync(Subscribe.Length + 1, Deadline);
        Assert.Equal(Subscribe + "\n", Encoding.UTF8.GetString(received));
        await connection.Closed.Task.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Behind_a_trusted_balancers_proxy_header_the_records_are_taken_over_and_the_address_is_the_miners()
    {
        await using var backend = new RecordingBackend();
        var config = TlsStratumTests.TlsListener(backend);
        config["Listeners"]!["main"]!["AcceptProxyProtocol"] = true;
        await using var proxy = await ProxyTestHost.StartAsync(config);

        // Loopback is trusted by default; the addresses are only the header's contents.
        await using var miner = await TlsMiner.ConnectAsync(proxy, SslProtocols.Tls13, proxyHeader: "PROXY TCP4 203.0.113.7 198.51.100.1 51000 3333\r\n");
        await miner.SubscribeAsync();

        Assert.Equal("203.0.113.7:51000", (await proxy.SingleSessionAsync())["client"]!.GetValue<string>());
        Assert.Equal(1, proxy.Get<TlsMetrics>().RecordLayerCount("openssl"));
        var connection = await backend.WaitForConnectionAsync();
        Assert.Equal(Subscribe + "\n", Encoding.UTF8.GetString(connection.Received));
    }

    [Fact]
    public async Task Lines_longer_than_a_record_go_through_both_ways()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        await using var miner = await TlsMiner.ConnectAsync(proxy);
        await miner.SubscribeAsync();

        // A TLS record carries at most 16 KiB: each of these lines takes three or more, each way.
        var fromMiner = """{"id":7,"method":"mining.extranonce.subscribe","params":[""" + "\"" + new string('m', 50_000) + "\"]}";
        await miner.SendAsync(fromMiner);
        var connection = await backend.WaitForConnectionAsync();
        var expected = Subscribe.Length + 1 + fromMiner.Length + 1;
        var received = await connection.WaitForBytesAsync(expected, Deadline);
        Assert.Equal(Subscribe + "\n" + fromMiner + "\n", Encoding.UTF8.GetString(received));

        var fromPool = """{"id":null,"method":"client.show_message","params":[""" + "\"" + new string('p', 50_000) + "\"]}";
        await connection.SendAsync(fromPool);
        Assert.Equal(fromPool, await miner.ReadLineAsync());
    }

    [Fact]
    public async Task A_miner_that_reads_late_gets_every_record_of_a_pool_that_sent_more_than_the_sockets_hold()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        await using var miner = await TlsMiner.ConnectAsync(proxy, receiveBufferSize: 64 * 1024);
        await miner.SubscribeAsync();
        var connection = await backend.WaitForConnectionAsync();

        // 8 MiB of 2 KiB notifies while the miner reads nothing: the proxy's socket to the miner fills and the
        // records it could not send wait in the session until the miner reads.
        const int lines = 4096;
        var padding = new string('t', 2000);
        var written = 0;
        var poolWrite = Task.Run(async () =>
        {
            for (var i = 0; i < lines; i++)
            {
                await connection.SendAsync($$"""{"id":null,"method":"mining.notify","params":["{{i}}","{{padding}}"]}""");
                Volatile.Write(ref written, i + 1);
            }
        });
        await Infrastructure.Eventually.WaitUntilAsync(() => Volatile.Read(ref written) >= lines / 2 || poolWrite.IsCompleted, Deadline, "the pool wrote half");

        for (var i = 0; i < lines; i++)
        {
            Assert.Equal($$"""{"id":null,"method":"mining.notify","params":["{{i}}","{{padding}}"]}""", await miner.ReadLineAsync());
        }

        await poolWrite.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_record_that_does_not_decrypt_closes_only_that_session()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        await using var miner = await TlsMiner.ConnectAsync(proxy, SslProtocols.Tls13);
        await miner.SubscribeAsync();
        var first = await backend.WaitForConnectionAsync();

        // An application-data record whose contents and tag are noise, written past the client's TLS layer.
        var forged = new byte[5 + 48];
        forged[0] = 23;
        forged[1] = 3;
        forged[2] = 3;
        forged[4] = 48;
        Random.Shared.NextBytes(forged.AsSpan(5));
        await miner.Tcp.GetStream().WriteAsync(forged, miner.Timeout);

        await first.Closed.Task.WaitAsync(Deadline);
        var ended = await ReadUntilClosedAsync(miner.Tcp.GetStream(), new byte[256], miner.Timeout);
        Assert.True(ended, "the proxy closed the miner's connection");

        // The next miner is served as before.
        await using var next = await TlsMiner.ConnectAsync(proxy);
        await next.SubscribeAsync();
    }

    [Fact]
    public async Task Sessions_cut_mid_traffic_from_either_side_end_cleanly_and_the_port_serves_on()
    {
        const int Miners = 16;
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        var miners = new List<TlsMiner>();
        try
        {
            for (var i = 0; i < Miners; i++)
            {
                var miner = await TlsMiner.ConnectAsync(proxy, i % 2 == 0 ? SslProtocols.Tls13 : SslProtocols.Tls12);
                miners.Add(miner);
                await miner.SubscribeAsync();
            }

            await backend.WaitForConnectionAsync(Miners);

            // Notifies keep every session's records flowing while half the miners reset their connections and the
            // pool drops the other half.
            var notify = """{"id":null,"method":"mining.notify","params":["j1","00","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""";
            var pool = backend.Connections.ToList();
            for (var round = 0; round < 20; round++)
            {
                foreach (var connection in pool)
                {
                    try
                    {
                        await connection.SendAsync(notify);
                    }
                    catch (Exception ex) when (ex is IOException or InvalidOperationException)
                    {
                        // The proxy closed this pool connection after its miner reset: expected from round 5 on.
                    }
                }

                if (round == 5)
                {
                    for (var i = 0; i < Miners; i += 2)
                    {
                        miners[i].Tcp.Client.LingerState = new LingerOption(true, 0);
                        miners[i].Tcp.Client.Close();
                    }

                    var dropped = pool.Where((_, i) => i % 2 == 1).ToList();
                    foreach (var connection in dropped)
                    {
                        connection.Client.Close();
                        pool.Remove(connection);
                    }
                }
            }

            await Eventually.UntilAsync(
                async () => (await proxy.StatusAsync())["sessions"]!.AsArray().Count <= Miners / 2 ? new object() : null,
                Deadline,
                "the cut sessions to end");
        }
        finally
        {
            foreach (var miner in miners)
            {
                await miner.DisposeAsync();
            }
        }

        await Eventually.UntilAsync(
            async () => (await proxy.StatusAsync())["sessions"]!.AsArray().Count == 0 ? new object() : null,
            Deadline,
            "every session to end");
        await using var next = await TlsMiner.ConnectAsync(proxy);
        await next.SubscribeAsync();
        Assert.Equal(Miners + 1, proxy.Get<TlsMetrics>().RecordLayerCount("openssl"));
    }

    [Fact]
    public async Task Lines_after_a_key_update_of_openssl_s_client_are_decrypted_with_the_new_keys()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsStratumTests.TlsListener(backend));
        var endPoint = proxy.Listener("main");

        // Not -quiet: interactively, a line "K" makes s_client send a KeyUpdate (and ask for the server's).
        var start = new ProcessStartInfo("openssl", ["s_client", "-connect", $"127.0.0.1:{endPoint.Port}", "-servername", "pool.test", "-tls1_3"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            using var timeout = new CancellationTokenSource(Deadline);
            await process.StandardInput.WriteLineAsync(Subscribe);
            await process.StandardInput.FlushAsync(timeout.Token);
            await ReadLineContainingAsync(process.StandardOutput, "\"08000002\"", timeout.Token);

            await process.StandardInput.WriteLineAsync("K");
            await process.StandardInput.FlushAsync(timeout.Token);

            // s_client takes a command from a whole read of its input: the next line must come in a read of its own.
            await ReadLineContainingAsync(process.StandardError, "KEYUPDATE", timeout.Token);
            const string Authorize = """{"id":2,"method":"mining.authorize","params":["w","x"]}""";
            await process.StandardInput.WriteLineAsync(Authorize);
            await process.StandardInput.FlushAsync(timeout.Token);

            var connection = await backend.WaitForConnectionAsync();
            var received = await connection.WaitForBytesAsync(Subscribe.Length + Authorize.Length + 2, Deadline);
            Assert.Equal(Subscribe + "\n" + Authorize + "\n", Encoding.UTF8.GetString(received));
            Assert.False(connection.Closed.Task.IsCompleted, "the session goes on after the key update");
            Assert.Equal(1, proxy.Get<TlsMetrics>().RecordLayerCount("openssl"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task ReadLineContainingAsync(StreamReader output, string text, CancellationToken cancellationToken)
    {
        // s_client prints the certificate and session first; bounded by the token and by the stream's end.
        while (await output.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new EndOfStreamException($"s_client's output ended before a line with {text}.");
    }

    private static async Task<bool> ReadUntilClosedAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            // At most the proxy's alert or nothing, then the end.
            for (var reads = 0; reads < 16; reads++)
            {
                if (await stream.ReadAsync(buffer, cancellationToken) == 0)
                {
                    return true;
                }
            }

            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>A miner on the proxy's TLS port: the runtime's TLS client over loopback, optionally holding its Finished back.</summary>
    private sealed class TlsMiner : IAsyncDisposable
    {
        private readonly CancellationTokenSource _timeout = new(Deadline);
        private StreamReader _reader = null!;

        public TcpClient Tcp { get; } = new() { NoDelay = true };

        public SslStream Tls { get; private set; } = null!;

        public HoldingStream? Holding { get; private set; }

        public CancellationToken Timeout => _timeout.Token;

        public static async Task<TlsMiner> ConnectAsync(
            ProxyTestHost proxy, SslProtocols protocols = SslProtocols.None, bool holdFinished = false, string? proxyHeader = null, int? receiveBufferSize = null)
        {
            var miner = new TlsMiner();
            if (receiveBufferSize is { } size)
            {
                // Set before the connect, so the window stays small.
                miner.Tcp.ReceiveBufferSize = size;
            }

            await miner.Tcp.ConnectAsync(proxy.Listener("main"), miner.Timeout);
            Stream transport = miner.Tcp.GetStream();
            if (proxyHeader is not null)
            {
                await transport.WriteAsync(Encoding.ASCII.GetBytes(proxyHeader), miner.Timeout);
            }

            if (holdFinished)
            {
                transport = miner.Holding = new HoldingStream(transport);
            }

            miner.Tls = new SslStream(transport, false, (_, _, _, _) => true);
            await miner.Tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "pool.test", EnabledSslProtocols = protocols }, miner.Timeout);
            miner._reader = new StreamReader(miner.Tls, Encoding.UTF8);
            return miner;
        }

        public async Task SendAsync(string line) => await Tls.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), Timeout);

        public async Task<string?> ReadLineAsync() => await _reader.ReadLineAsync(Timeout);

        public async Task SubscribeAsync()
        {
            await SendAsync(Subscribe);
            Assert.Contains("\"08000002\"", await ReadLineAsync(), StringComparison.Ordinal);
        }

        public async ValueTask DisposeAsync()
        {
            await Tls.DisposeAsync();
            Tcp.Dispose();
            _timeout.Dispose();
        }
    }

    /// <summary>Holds back everything written once the server has answered, until released in one write.</summary>
    private sealed class HoldingStream(Stream inner) : Stream
    {
        private readonly MemoryStream _held = new();
        private bool _serverAnswered;
        private bool _released;

        public long HeldBytes => _held.Length;

        public async Task ReleaseAsync(CancellationToken cancellationToken)
        {
            _released = true;
            await inner.WriteAsync(_held.ToArray(), cancellationToken);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            _serverAnswered = true;
            return read;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_serverAnswered && !_released)
            {
                _held.Write(buffer.Span);
                return ValueTask.CompletedTask;
            }

            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _held.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
