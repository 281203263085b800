using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Stratum.Transport;
using Stratum.Transport.EventLoop;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Listeners;

/// <summary>The proxy's own Kestrel transport, over real loopback sockets.</summary>
public sealed class DirectSocketTransportTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private IConnectionListener _listener = null!;
    private readonly List<IAsyncDisposable> _cleanup = [];

    public async Task InitializeAsync()
    {
        var factory = new DirectSocketTransportFactory(NullLogger<DirectSocketListener>.Instance);
        _listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public async Task DisposeAsync()
    {
        foreach (var item in _cleanup)
        {
            await item.DisposeAsync();
        }

        await _listener.DisposeAsync();
    }

    [Fact]
    public void The_listener_reports_the_port_the_kernel_gave_it()
    {
        var endPoint = Assert.IsType<IPEndPoint>(_listener.EndPoint);
        Assert.Equal(IPAddress.Loopback, endPoint.Address);
        Assert.NotEqual(0, endPoint.Port);
    }

    [Fact]
    public async Task Bytes_go_both_ways_unchanged_and_the_end_points_are_the_sockets()
    {
        var (client, connection) = await ConnectAsync();

        await client.SendAsync("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n"u8.ToArray(), SocketFlags.None);
        var line = await ReadLineAsync(connection.Transport.Input);
        Assert.Equal("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}", line);

        const string Answer = "{\"id\":1,\"result\":true}\n";
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(Answer));
        Assert.Equal(Answer, await ReceiveAsync(client, Answer.Length));

        Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
        Assert.Equal(client.RemoteEndPoint, connection.LocalEndPoint);
    }

    [Fact]
    public async Task A_large_write_arrives_whole()
    {
        var (client, connection) = await ConnectAsync();
        var payload = new byte[300_000];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        var write = connection.Transport.Output.WriteAsync(payload).AsTask();
        var received = new byte[payload.Length];
        var total = 0;
        using var timeout = new CancellationTokenSource(Deadline);
        while (total < received.Length)
        {
            var n = await client.ReceiveAsync(received.AsMemory(total), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            total += n;
        }

        await write.WaitAsync(Deadline);
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task A_flush_to_a_miner_that_does_not_read_waits_and_writing_meanwhile_is_refused()
    {
        var (client, connection) = await ConnectAsync();
        client.ReceiveBufferSize = 64 * 1024;
        var output = connection.Transport.Output;

        // More than the kernel buffers on loopback: the send, and so the flush, waits for the miner to read.
        var payload = new byte[32 * 1024 * 1024];
        payload.AsSpan().Fill((byte)'x');
        var flush = output.WriteAsync(payload);
        Assert.False(flush.IsCompleted, "the kernel took 32 MiB at once");
        Assert.Throws<InvalidOperationException>(() => output.GetMemory(16));

        var buffer = new byte[1024 * 1024];
        long total = 0;
        using var timeout = new CancellationTokenSource(Deadline);
        while (total < payload.Length)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            total += n;
        }

        var result = await flush.AsTask().WaitAsync(Deadline);
        Assert.False(result.IsCompleted);
        output.GetMemory(16); // writable again once the send is done
    }

    [Fact]
    public async Task The_miner_closing_its_side_completes_the_input()
    {
        var (client, connection) = await ConnectAsync();
        await client.SendAsync("last\n"u8.ToArray(), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);

        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(Deadline);
        while (true)
        {
            var result = await connection.Transport.Input.ReadAsync(timeout.Token);
            seen.Append(Encoding.ASCII.GetString(result.Buffer.ToArray()));
            connection.Transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal("last\n", seen.ToString());
    }

    [Fact]
    public async Task Completing_the_output_delivers_what_was_written_then_closes_the_connection()
    {
        var (client, connection) = await ConnectAsync();
        var output = connection.Transport.Output;
        const string Reconnect = "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[]}\n";
        Encoding.ASCII.GetBytes(Reconnect, output.GetSpan(Reconnect.Length));
        output.Advance(Reconnect.Length);
        await output.CompleteAsync();

        Assert.Equal(Reconnect, await ReceiveAsync(client, Reconnect.Length));
        Assert.Equal(0, await client.ReceiveAsync(new byte[16], SocketFlags.None, new CancellationTokenSource(Deadline).Token));
    }

    [Fact]
    public async Task Abort_fails_a_pending_read_closes_the_socket_and_signals_ConnectionClosed()
    {
        var (client, connection) = await ConnectAsync();
        var closed = new TaskCompletionSource();
        connection.ConnectionClosed.Register(() => closed.TrySetResult());
        var read = connection.Transport.Input.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        connection.Abort(new ConnectionAbortedException("test"));

        await Assert.ThrowsAsync<ConnectionAbortedException>(() => read.WaitAsync(Deadline));
        await closed.Task.WaitAsync(Deadline);
        Assert.Equal(0, await client.ReceiveAsync(new byte[16], SocketFlags.None, new CancellationTokenSource(Deadline).Token));
    }

    [Fact]
    public async Task A_canceled_read_returns_at_once_and_the_bytes_that_arrive_later_are_read_next()
    {
        var (client, connection) = await ConnectAsync();
        var input = connection.Transport.Input;
        var read = input.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);

        input.CancelPendingRead();
        var canceled = await read.WaitAsync(Deadline);
        Assert.True(canceled.IsCanceled);
        Assert.True(canceled.Buffer.IsEmpty);
        input.AdvanceTo(canceled.Buffer.Start);

        await client.SendAsync("after\n"u8.ToArray(), SocketFlags.None);
        Assert.Equal("after", await ReadLineAsync(input));

        // Canceled before anyone reads: the next read says so, then reading goes on.
        input.CancelPendingRead();
        var next = await input.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.True(next.IsCanceled);
        input.AdvanceTo(next.Buffer.Start);
        await client.SendAsync("again\n"u8.ToArray(), SocketFlags.None);
        Assert.Equal("again", await ReadLineAsync(input));
    }

    [Fact]
    public async Task A_read_given_a_token_ends_when_the_token_fires_and_the_reader_stays_usable()
    {
        var (client, connection) = await ConnectAsync();
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource();
        var read = input.ReadAsync(timeout.Token).AsTask();
        Assert.False(read.IsCompleted);

        await timeout.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Deadline));

        await client.SendAsync("still here\n"u8.ToArray(), SocketFlags.None);
        Assert.Equal("still here", await ReadLineAsync(input));
    }

    [Fact]
    public async Task Bytes_examined_but_not_consumed_are_read_again_with_the_next_ones_even_past_the_first_buffer()
    {
        var (client, connection) = await ConnectAsync();
        var input = connection.Transport.Input;

        // A sniffing stage looks at the first bytes and hands all of them on (AdvanceTo(start)).
        await client.SendAsync("{\"id\":"u8.ToArray(), SocketFlags.None);
        var first = await input.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal("{\"id\":", Encoding.ASCII.GetString(first.Buffer.ToArray()));
        input.AdvanceTo(first.Buffer.Start);
        var again = await input.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal("{\"id\":", Encoding.ASCII.GetString(again.Buffer.ToArray()));
        input.AdvanceTo(again.Buffer.Start, again.Buffer.End);

        // A line much longer than one receive buffer arrives in pieces and is returned whole.
        var tail = new string('7', 20_000) + "}";
        await client.SendAsync(Encoding.ASCII.GetBytes(tail + "\n"), SocketFlags.None);
        Assert.Equal("{\"id\":" + tail, await ReadLineAsync(input));
    }

    [Fact]
    public async Task Features_set_by_the_pipeline_are_found_and_the_connection_answers_its_own()
    {
        var (_, connection) = await ConnectAsync();
        var features = connection.Features;
        Assert.Same(connection, features.Get<IConnectionIdFeature>());
        Assert.Same(connection, features.Get<IConnectionTransportFeature>());
        Assert.Same(connection, features.Get<IConnectionLifetimeFeature>());
        Assert.Null(features.Get<ITestFeature>());

        var revision = features.Revision;
        var mine = new TestFeature();
        features.Set<ITestFeature>(mine);
        Assert.Same(mine, features.Get<ITestFeature>());
        Assert.True(features.Revision > revision);

        // A stage may put its own implementation of a connection feature in front of the transport's.
        var transport = new TransportOverride(connection.Transport);
        features.Set<IConnectionTransportFeature>(transport);
        Assert.Same(transport, features.Get<IConnectionTransportFeature>());
        features.Set<IConnectionTransportFeature>(null);
        Assert.Same(connection, features.Get<IConnectionTransportFeature>());

        Assert.Contains(features, pair => pair.Key == typeof(ITestFeature) && ReferenceEquals(pair.Value, mine));
        Assert.Contains(features, pair => pair.Key == typeof(IConnectionIdFeature));
        Assert.StartsWith("D", connection.ConnectionId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_proxy_host_binds_its_listeners_with_this_transport()
    {
        await using var backend = StratumTestBackend.Start();
        await using var host = await ProxyTestHost.StartAsync(ProxyTestHost.SingleListener(backend.EndPoint));
        var factories = host.Services.GetServices<IConnectionListenerFactory>().ToList();

        // Kestrel tries the factory registered last first; ours binds every IP endpoint.
        var chosen = Assert.IsType<DirectSocketTransportFactory>(factories[^1]);
        Assert.True(chosen.InlineCompletions);
        Assert.True(chosen.CanBind(host.Listener("main")));
        Assert.True(chosen.CanBind(new IPEndPoint(IPAddress.IPv6Any, 3333)));
    }

    [MultiCoreFact]
    public async Task Sessions_that_each_open_a_pool_socket_are_still_spread_over_the_socket_loops()
    {
        using var pool = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        pool.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        pool.Listen(16);

        // As a session does: accept the miner, connect the pool node, move that socket to the miner's loop.
        var threads = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            var (client, connection) = await ConnectAsync();
            var upstream = await EpollSocket.ConnectAsync((IPEndPoint)pool.LocalEndPoint!, null, CancellationToken.None).AsTask().WaitAsync(Deadline);
            _cleanup.Add(new SocketDisposer(upstream));
            upstream.MoveToLoopOf(connection.Features.Get<IEpollSocketFeature>()!.Socket);

            // The read completes inline, on the loop that serves this miner.
            var read = ThreadOfNextReadAsync(connection.Transport.Input);
            await client.SendAsync("x\n"u8.ToArray(), SocketFlags.None);
            threads.Add(await read.WaitAsync(Deadline));
        }

        Assert.All(threads, name => Assert.StartsWith("Socket loop", name, StringComparison.Ordinal));
        Assert.True(threads.Count >= 2, $"every miner went to {string.Join(", ", threads)}");
    }

    private static async Task<string> ThreadOfNextReadAsync(PipeReader input)
    {
        // Without ConfigureAwait(false) the test framework's synchronization context, when present, would move the
        // continuation to one of its own threads and hide the thread that completed the read.
        var result = await input.ReadAsync().ConfigureAwait(false);
        var name = Thread.CurrentThread.Name ?? "(unnamed)";
        input.AdvanceTo(result.Buffer.End);
        return name;
    }

    private async Task<(Socket Client, ConnectionContext Connection)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptAsync().AsTask();
        await client.ConnectAsync(_listener.EndPoint).WaitAsync(Deadline);
        var connection = await accept.WaitAsync(Deadline);
        Assert.NotNull(connection);
        _cleanup.Add(connection);
        _cleanup.Add(new SocketDisposer(client));
        return (client, connection);
    }

    private static async Task<string> ReadLineAsync(PipeReader input)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (true)
        {
            var result = await input.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = Encoding.ASCII.GetString(buffer.Slice(0, end).ToArray());
                input.AdvanceTo(buffer.GetPosition(1, end));
                return line;
            }

            Assert.False(result.IsCompleted, "the connection ended before a whole line");
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task<string> ReceiveAsync(Socket client, int length)
    {
        var buffer = new byte[length];
        var total = 0;
        using var timeout = new CancellationTokenSource(Deadline);
        while (total < length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            total += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    private interface ITestFeature;

    private sealed class TestFeature : ITestFeature;

    private sealed class TransportOverride(IDuplexPipe transport) : IConnectionTransportFeature
    {
        public IDuplexPipe Transport { get; set; } = transport;
    }

    /// <summary>A test that needs two socket loops, so two cores.</summary>
    private sealed class MultiCoreFactAttribute : FactAttribute
    {
        public MultiCoreFactAttribute()
        {
            if (Environment.ProcessorCount < 2)
            {
                Skip = "one core, one socket loop";
            }
        }
    }

    private sealed class SocketDisposer(IDisposable socket) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
