using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Relay;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Listeners;

/// <summary>The transport's own sockets as the pool side of a session uses them, against real loopback peers.</summary>
public sealed class EpollSocketTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly List<IDisposable> _cleanup = [];

    public void Dispose()
    {
        foreach (var item in _cleanup)
        {
            item.Dispose();
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Connects_and_carries_bytes_both_ways_with_the_end_points_of_the_kernel(string address)
    {
        var (socket, peer) = await ConnectPairAsync(IPAddress.Parse(address));

        Assert.Equal(peer.LocalEndPoint, socket.RemoteEndPoint);
        Assert.Equal(peer.RemoteEndPoint, socket.LocalEndPoint);

        await AssertExchangeAsync(socket, peer, "{\"id\":1,\"method\":\"mining.subscribe\"}\n", "{\"id\":1,\"result\":true}\n");
    }

    [Fact]
    public async Task Options_set_before_the_connect_are_what_the_kernel_holds()
    {
        using var listener = Listen(IPAddress.Loopback);
        using var socket = await EpollSocket.ConnectAsync(
            (IPEndPoint)listener.LocalEndPoint!,
            s =>
            {
                s.SetNoDelay(true);
                s.SetKeepAlive(45, 7, 4);
            },
            CancellationToken.None);

        Assert.True(socket.NoDelay);
        Assert.Equal((true, 45, 7, 4), socket.KeepAlive);
    }

    [Fact]
    public async Task A_refused_connect_is_a_socket_error_the_caller_can_tell_apart()
    {
        var closed = new IPEndPoint(IPAddress.Loopback, LoopbackEndpoints.ClosedPort());

        var error = await Assert.ThrowsAsync<SocketException>(async () => await EpollSocket.ConnectAsync(closed, null, CancellationToken.None));

        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_connect_to_a_silent_node_ends_when_the_caller_cancels()
    {
        using var silent = await UnresponsiveEndpoint.CreateAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await EpollSocket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, silent.Port), null, cancel.Token));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(150), Deadline);
    }

    [Fact]
    public async Task Data_and_the_end_of_stream_that_arrive_together_are_both_seen()
    {
        var (socket, peer) = await ConnectPairAsync(IPAddress.Loopback);

        // Both are queued before the socket looks (loopback delivers inside the send), so one event announces
        // both; the receive that takes the data must not then wait for another.
        await peer.SendAsync("last\n"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);

        Assert.Equal("last\n", await ReceiveTextAsync(socket, 5));
        var buffer = new byte[64];
        var received = await ReceiveAsync(socket, buffer);

        Assert.Equal(0, received);
    }

    [Fact]
    public async Task A_send_larger_than_the_kernel_takes_waits_for_the_peer_and_delivers_every_byte()
    {
        var (socket, peer) = await ConnectPairAsync(IPAddress.Loopback);
        var payload = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(payload);

        var send = socket.SendAsync(payload).AsTask();
        Assert.False(send.IsCompleted, "8 MiB fit in the socket buffers at once: the test proves nothing");

        var received = new byte[payload.Length];
        var total = 0;
        using var timeout = new CancellationTokenSource(Deadline);
        while (total < payload.Length)
        {
            var n = await peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, n);
            total += n;
        }

        await send.WaitAsync(Deadline);
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task Closing_wakes_a_waiting_reader_which_then_finds_the_socket_closed()
    {
        var (socket, _) = await ConnectPairAsync(IPAddress.Loopback);
        var wait = socket.WaitReadableAsync().AsTask();
        Assert.False(wait.IsCompleted);

        socket.Dispose();

        await wait.WaitAsync(Deadline);
        Assert.Equal(-1, socket.Receive(new byte[16], out var error));
        Assert.Equal(SocketError.OperationAborted, error);
        Assert.IsType<ObjectDisposedException>(socket.ToException(error));
    }

    [Fact]
    public async Task A_reader_is_woken_on_the_thread_pool_while_inline_completions_are_off_and_on_the_loop_again_after()
    {
        var (socket, peer) = await ConnectPairAsync(IPAddress.Loopback);
        Assert.True(socket.InlineCompletions);

        socket.InlineCompletions = false;
        var whileOff = await LoopThatWakesReaderAsync(socket, peer);
        socket.InlineCompletions = true;
        var afterwards = await LoopThatWakesReaderAsync(socket, peer);

        Assert.Equal(-1, whileOff);
        Assert.InRange(afterwards, 0, EventLoopThread.MaxLoops - 1);
    }

    /// <summary>The loop number of the thread that wakes a reader waiting on <paramref name="socket"/> (-1: not a loop).</summary>
    private static async Task<int> LoopThatWakesReaderAsync(EpollSocket socket, Socket peer)
    {
        var woken = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var wait = socket.WaitReadableAsync().ConfigureAwait(false).GetAwaiter();
        Assert.False(wait.IsCompleted, "the socket had data before the peer sent: the test proves nothing");

        // Registered before the peer sends, so the continuation runs where the wake-up does.
        wait.UnsafeOnCompleted(() => woken.TrySetResult(EventLoopThread.Number));
        await peer.SendAsync("x\n"u8.ToArray());
        var number = await woken.Task.WaitAsync(Deadline);
        Assert.Equal("x\n", await ReceiveTextAsync(socket, 2));
        return number;
    }

    [Fact]
    public async Task Sockets_moved_to_another_socket_loop_keep_their_traffic()
    {
        // Consecutive sockets go to the loops in turn, so among four some move across loops.
        var pairs = new List<(EpollSocket Socket, Socket Peer)>();
        for (var i = 0; i < 4; i++)
        {
            pairs.Add(await ConnectPairAsync(IPAddress.Loopback));
        }

        for (var i = 1; i < pairs.Count; i++)
        {
            pairs[i].Socket.MoveToLoopOf(pairs[0].Socket);
        }

        foreach (var (socket, peer) in pairs)
        {
            await AssertExchangeAsync(socket, peer, "ping\n", "pong\n");
        }
    }

    [Fact]
    public async Task Every_socket_hears_its_events_when_the_loops_outgrow_their_tables_and_reuse_slots()
    {
        // Each loop starts with room for 256 sockets: 700 across two loops grow both tables; closing every other
        // socket and connecting as many again reuses the freed slots under new generations.
        using var listener = Listen(IPAddress.Loopback);
        var pairs = new List<(EpollSocket Socket, Socket Peer)>();
        async Task ConnectAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var accept = listener.AcceptAsync();
                var socket = await EpollSocket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, null, CancellationToken.None).AsTask().WaitAsync(Deadline);
                _cleanup.Add(socket);
                var peer = await accept.WaitAsync(Deadline);
                _cleanup.Add(peer);
                pairs.Add((socket, peer));
            }
        }

        await ConnectAsync(700);
        for (var i = 0; i < pairs.Count; i += 2)
        {
            pairs[i].Socket.Dispose();
        }

        pairs = pairs.Where((_, i) => i % 2 == 1).ToList();
        await ConnectAsync(350);

        foreach (var (socket, peer) in pairs)
        {
            await peer.SendAsync("n\n"u8.ToArray());
        }

        foreach (var (socket, _) in pairs)
        {
            Assert.Equal("n\n", await ReceiveTextAsync(socket, 2));
        }
    }

    [Fact]
    public async Task A_relay_passes_whole_lines_both_ways_and_a_fault_of_its_handler_ends_only_that_relay()
    {
        var (client, miner) = await ConnectPairAsync(IPAddress.Loopback);
        var (destination, pool) = await ConnectPairAsync(IPAddress.Loopback);
        destination.MoveToLoopOf(client);
        var relay = LineRelay.Start(client, destination, new WholeLines(), "{\"id\":1}\n{\"id\""u8, clientEnded: false);

        // The bytes received before the start go first; the cut line goes once its end arrives.
        Assert.Equal("{\"id\":1}\n", await ReceiveTextAsync(pool, 9));
        await miner.SendAsync(":2}\n"u8.ToArray());
        Assert.Equal("{\"id\":2}\n", await ReceiveTextAsync(pool, 9));
        await pool.SendAsync("{\"id\":1,\"result\":true}\n"u8.ToArray());
        Assert.Equal("{\"id\":1,\"result\":true}\n", await ReceiveTextAsync(miner, 23));

        // A handler that throws: the relay ends with its exception, the loop goes on serving the first relay.
        var (faultyClient, faultyMiner) = await ConnectPairAsync(IPAddress.Loopback);
        var (faultyDestination, _) = await ConnectPairAsync(IPAddress.Loopback);
        faultyDestination.MoveToLoopOf(faultyClient);
        var faulty = LineRelay.Start(faultyClient, faultyDestination, new Throwing(), default, clientEnded: false);
        await faultyMiner.SendAsync("{}\n"u8.ToArray());
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await faulty.Completion.AsTask().WaitAsync(Deadline));

        await miner.SendAsync("{\"id\":3}\n"u8.ToArray());
        Assert.Equal("{\"id\":3}\n", await ReceiveTextAsync(pool, 9));

        // Closed under the relay: it ends, and then the descriptor is closed for real (the peer sees the end).
        client.Dispose();
        Assert.Equal(RelayEnd.ClientFailed, await relay.Completion.AsTask().WaitAsync(Deadline));
        Assert.Equal(0, await miner.ReceiveAsync(new byte[16]).WaitAsync(Deadline));
    }

    [Fact]
    public async Task Work_posted_to_a_loop_runs_on_that_loops_thread_however_much_is_posted_at_once()
    {
        await ConnectPairAsync(IPAddress.Loopback);
        const int perLoop = 1000;
        var seen = new int[EventLoopThread.MaxLoops];
        var wrongThread = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = perLoop * EventLoopThread.MaxLoops;
        for (var i = 0; i < perLoop; i++)
        {
            for (var loop = 0; loop < EventLoopThread.MaxLoops; loop++)
            {
                EventLoopWork.Post(
                    loop,
                    state =>
                    {
                        var expected = (int)state!;
                        if (EventLoopThread.Number != expected)
                        {
                            Interlocked.Increment(ref wrongThread);
                        }

                        Interlocked.Increment(ref seen[expected]);
                        if (Interlocked.Decrement(ref remaining) == 0)
                        {
                            done.SetResult();
                        }
                    },
                    loop);
            }
        }

        await done.Task.WaitAsync(Deadline);
        Assert.Equal(0, wrongThread);
        Assert.All(seen, count => Assert.Equal(perLoop, count));
        Assert.Throws<ArgumentOutOfRangeException>(() => EventLoopWork.Post(EventLoopThread.MaxLoops, _ => { }, null));
    }

    [Fact]
    public async Task Each_event_loop_runs_on_a_cpu_of_its_own()
    {
        // A connection puts the process's loops to work; each pins itself as its thread starts.
        await ConnectPairAsync(IPAddress.Loopback);
        var until = Stopwatch.StartNew();
        Dictionary<string, string> loops;
        do
        {
            loops = LoopThreadCpus();
            if (loops.Count == EventLoopThread.MaxLoops && loops.Values.All(cpus => int.TryParse(cpus, out _)))
            {
                break;
            }

            await Task.Delay(20);
        }
        while (until.Elapsed < Deadline);

        Assert.Equal(EventLoopThread.MaxLoops, loops.Count);
        Assert.All(loops.Values, cpus => Assert.True(int.TryParse(cpus, out _), $"a loop may run on CPUs {cpus}, not one"));
        Assert.Equal(loops.Count, loops.Values.Distinct().Count());
    }

    /// <summary>The CPUs each "Socket loop N" thread of this process may run on, as the kernel lists them.</summary>
    private static Dictionary<string, string> LoopThreadCpus()
    {
        var loops = new Dictionary<string, string>();
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (name.StartsWith("Socket loop ", StringComparison.Ordinal))
                {
                    var cpus = File.ReadAllLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
                    loops[name] = cpus["Cpus_allowed_list:".Length..].Trim();
                }
            }
            catch (IOException)
            {
                // A thread that ended meanwhile.
            }
        }

        return loops;
    }

    /// <summary>Passes on everything up to the last line end.</summary>
    private sealed class WholeLines : ILineRelayHandler
    {
        public int OnReceived(RelaySide from, ReadOnlySpan<byte> data, out int skip, out bool close)
        {
            skip = 0;
            close = false;
            return data.LastIndexOf((byte)'\n') + 1;
        }

        public void OnClientEnded()
        {
        }
    }

    private sealed class Throwing : ILineRelayHandler
    {
        public int OnReceived(RelaySide from, ReadOnlySpan<byte> data, out int skip, out bool close) => throw new InvalidOperationException("a bug");

        public void OnClientEnded()
        {
        }
    }

    private async Task<(EpollSocket Socket, Socket Peer)> ConnectPairAsync(IPAddress address)
    {
        var listener = Listen(address);
        _cleanup.Add(listener);
        var accept = listener.AcceptAsync();
        var socket = await EpollSocket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, null, CancellationToken.None).AsTask().WaitAsync(Deadline);
        _cleanup.Add(socket);
        var peer = await accept.WaitAsync(Deadline);
        _cleanup.Add(peer);
        return (socket, peer);
    }

    /// <summary><paramref name="request"/> goes from the socket to its peer, then <paramref name="answer"/> back.</summary>
    private static async Task AssertExchangeAsync(EpollSocket socket, Socket peer, string request, string answer)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        Assert.Equal(request, await ReceiveTextAsync(peer, request.Length));
        await peer.SendAsync(Encoding.ASCII.GetBytes(answer));
        Assert.Equal(answer, await ReceiveTextAsync(socket, answer.Length));
    }

    private static Socket Listen(IPAddress address)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(8);
        return listener;
    }

    private static async Task<int> ReceiveAsync(EpollSocket socket, byte[] buffer)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * (long)Deadline.TotalSeconds);
        while (true)
        {
            await socket.WaitReadableAsync().AsTask().WaitAsync(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline));
            var received = socket.Receive(buffer, out var error);
            if (received >= 0)
            {
                return received;
            }

            Assert.Equal(SocketError.WouldBlock, error);
        }
    }

    private static async Task<string> ReceiveTextAsync(EpollSocket socket, int length)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (text.Length < length)
        {
            var received = await ReceiveAsync(socket, buffer);
            Assert.NotEqual(0, received);
            text.Append(Encoding.ASCII.GetString(buffer, 0, received));
        }

        return text.ToString();
    }

    private static async Task<string> ReceiveTextAsync(Socket socket, int length)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Deadline);
        while (text.Length < length)
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, received);
            text.Append(Encoding.ASCII.GetString(buffer, 0, received));
        }

        return text.ToString();
    }
}
