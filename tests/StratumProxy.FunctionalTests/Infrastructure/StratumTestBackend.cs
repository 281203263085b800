using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A small Stratum pool stand-in on 127.0.0.1 for tests: answers <c>mining.subscribe</c> and
/// <c>mining.authorize</c> (and any other request with <c>true</c>), sends a <c>mining.notify</c> after authorize
/// when told to, counts connections, records received lines, and can be stopped and restarted on the same port.
/// </summary>
public sealed class StratumTestBackend : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, Connection> _connections = new();
    private readonly ConcurrentQueue<string> _receivedLines = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private int _connectionCount;
    private int _nextConnectionId;

    private StratumTestBackend()
    {
    }

    /// <summary>The port, fixed for the backend's life (restarts reuse it).</summary>
    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The <c>Address</c> to put in a destination's configuration.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Answer requests at all; when false, connections are accepted and read but never answered.</summary>
    public bool Respond { get; set; } = true;

    /// <summary>Send a <c>mining.notify</c> right after answering <c>mining.authorize</c>.</summary>
    public bool SendNotifyOnAuthorize { get; set; } = true;

    /// <summary>The result of <c>mining.authorize</c>.</summary>
    public bool AuthorizeResult { get; set; } = true;

    public bool IsRunning => _listener is not null;

    /// <summary>Connections accepted since the backend was created.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Connections open now.</summary>
    public int ActiveConnections => _connections.Count;

    /// <summary>Every line received, in order of arrival.</summary>
    public IReadOnlyCollection<string> ReceivedLines => _receivedLines;

    public static StratumTestBackend Start()
    {
        var backend = new StratumTestBackend();
        backend.Listen(0);
        return backend;
    }

    /// <summary>Listens again on the same port after <see cref="StopAsync"/>.</summary>
    public void Restart()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The backend is running.");
        }

        Listen(Port);
    }

    /// <summary>Stops listening and closes every connection (a pool node that died).</summary>
    public async Task StopAsync()
    {
        var listener = Interlocked.Exchange(ref _listener, null);
        if (listener is null)
        {
            return;
        }

        listener.Dispose();
        foreach (var connection in _connections.Values)
        {
            connection.Close();
        }

        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Sends a job to every open connection.</summary>
    public async Task BroadcastNotifyAsync()
    {
        foreach (var connection in _connections.Values)
        {
            await connection.SendAsync(NotifyLine).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private const string NotifyLine =
        """{"id":null,"method":"mining.notify","params":["1","0000000000000000000000000000000000000000000000000000000000000000","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""";

    private void Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(128);
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener);
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connectionCount);
            var id = Interlocked.Increment(ref _nextConnectionId);
            var connection = new Connection(socket);
            _connections[id] = connection;
            _ = ServeAsync(id, connection);
        }
    }

    private async Task ServeAsync(int id, Connection connection)
    {
        try
        {
            using var reader = new StreamReader(connection.Stream, Encoding.UTF8, leaveOpen: true);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _receivedLines.Enqueue(line);
                if (Respond)
                {
                    await AnswerAsync(connection, line).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _connections.TryRemove(id, out _);
            connection.Close();
        }
    }

    private async Task AnswerAsync(Connection connection, string line)
    {
        string? method;
        string id;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            method = root.TryGetProperty("method", out var m) ? m.GetString() : null;
            id = root.TryGetProperty("id", out var i) ? i.GetRawText() : "null";
        }
        catch (JsonException)
        {
            return;
        }

        switch (method)
        {
            case "mining.subscribe":
                await connection.SendAsync($$"""{"id":{{id}},"result":[[["mining.set_difficulty","1"],["mining.notify","1"]],"08000002",4],"error":null}""").ConfigureAwait(false);
                break;
            case "mining.authorize":
                await connection.SendAsync($$"""{"id":{{id}},"result":{{(AuthorizeResult ? "true" : "false")}},"error":null}""").ConfigureAwait(false);
                if (AuthorizeResult && SendNotifyOnAuthorize)
                {
                    await connection.SendAsync("""{"id":null,"method":"mining.set_difficulty","params":[1]}""").ConfigureAwait(false);
                    await connection.SendAsync(NotifyLine).ConfigureAwait(false);
                }

                break;
            case not null when id != "null":
                await connection.SendAsync($$"""{"id":{{id}},"result":true,"error":null}""").ConfigureAwait(false);
                break;
        }
    }

    private sealed class Connection(Socket socket)
    {
        private readonly SemaphoreSlim _writeGate = new(1, 1);

        public NetworkStream Stream { get; } = new(socket, ownsSocket: true);

        public async Task SendAsync(string line)
        {
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            await _writeGate.WaitAsync().ConfigureAwait(false);
            try
            {
                await Stream.WriteAsync(bytes).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                _writeGate.Release();
            }
        }

        public void Close() => Stream.Dispose();
    }
}
