using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A Stratum pool stand-in on a loopback port: records every byte each connection sent, answers subscribe,
/// authorize and submit (accepting or rejecting submits by a rule), and can push lines to every miner.
/// </summary>
public sealed class RecordingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Connection> _connections = new();
    private readonly Task _acceptLoop;
    private int _submits;

    public RecordingBackend(Func<int, bool>? acceptSubmit = null)
    {
        AcceptSubmit = acceptSubmit ?? (_ => true);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    /// <summary>Decides, by the submit's sequence number (0-based over the backend), whether it is accepted.</summary>
    public Func<int, bool> AcceptSubmit { get; set; }

    /// <summary>When false the backend answers nothing (a pool that accepts connections but is stuck).</summary>
    public bool Answer { get; set; } = true;

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public IReadOnlyCollection<Connection> Connections => _connections.ToArray();

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var connection = new Connection(client);
                _connections.Enqueue(connection);
                _ = ServeAsync(connection);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Connection connection)
    {
        var stream = connection.Client.GetStream();
        var buffer = new byte[8192];
        var pending = new List<byte>();
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                connection.Append(buffer.AsSpan(0, read));
                pending.AddRange(buffer.AsSpan(0, read).ToArray());
                int newline;
                while ((newline = pending.IndexOf((byte)'\n')) >= 0)
                {
                    var line = Encoding.UTF8.GetString(pending.GetRange(0, newline).ToArray());
                    pending.RemoveRange(0, newline + 1);
                    var reply = Respond(line);
                    if (reply is not null && Answer)
                    {
                        await connection.SendAsync(reply);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Closed.TrySetResult();
        }
    }

    private string? Respond(string line)
    {
        JsonNode? message;
        try
        {
            message = JsonNode.Parse(line);
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // e.g. a PROXY v1 header line
        }

        var id = message?["id"]?.ToJsonString() ?? "null";
        return message?["method"]?.GetValue<string>() switch
        {
            "mining.subscribe" => $"{{\"id\":{id},\"result\":[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}}",
            "mining.authorize" => $"{{\"id\":{id},\"result\":true,\"error\":null}}",
            "mining.submit" => AcceptSubmit(Interlocked.Increment(ref _submits) - 1)
                ? $"{{\"id\":{id},\"result\":true,\"error\":null}}"
                : $"{{\"id\":{id},\"result\":null,\"error\":[23,\"Low difficulty share\",null]}}",
            _ => null,
        };
    }

    /// <summary>Waits until at least <paramref name="count"/> connections arrived.</summary>
    public async Task<Connection> WaitForConnectionAsync(int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            var all = _connections.ToArray();
            if (all.Length >= count)
            {
                return all[count - 1];
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"Backend saw {_connections.Count} connections, expected {count}.");
    }

    public async Task BroadcastAsync(string line)
    {
        foreach (var connection in _connections)
        {
            await connection.SendAsync(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Client.Dispose();
        }

        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    public sealed class Connection(TcpClient client)
    {
        private readonly List<byte> _received = [];
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public TcpClient Client { get; } = client;

        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public byte[] Received
        {
            get
            {
                lock (_received)
                {
                    return _received.ToArray();
                }
            }
        }

        internal void Append(ReadOnlySpan<byte> bytes)
        {
            lock (_received)
            {
                _received.AddRange(bytes.ToArray());
            }
        }

        public async Task SendAsync(string line)
        {
            await _sendLock.WaitAsync();
            try
            {
                await Client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            }
            finally
            {
                _sendLock.Release();
            }
        }

        /// <summary>Waits until this connection has received at least <paramref name="length"/> bytes.</summary>
        public async Task<byte[]> WaitForBytesAsync(int length, TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
            while (DateTime.UtcNow < deadline)
            {
                var received = Received;
                if (received.Length >= length)
                {
                    return received;
                }

                await Task.Delay(10);
            }

            throw new TimeoutException($"Received {Received.Length} bytes, expected {length}.");
        }
    }
}
