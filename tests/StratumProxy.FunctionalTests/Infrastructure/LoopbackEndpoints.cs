using System.Net;
using System.Net.Sockets;

namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>Loopback addresses with known bad behaviour, for connect failure tests.</summary>
public static class LoopbackEndpoints
{
    /// <summary>A port on 127.0.0.1 nothing listens on: connects are refused at once.</summary>
    public static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

/// <summary>
/// A listening socket on 127.0.0.1 that never accepts, its accept queue filled by connections of its own, so a
/// further connect gets no answer at all (Linux drops the SYN of a full queue): a pool node that hangs.
/// </summary>
public sealed class UnresponsiveEndpoint : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private UnresponsiveEndpoint(Socket listener) => _listener = listener;

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public string Address => $"127.0.0.1:{Port}";

    public static async Task<UnresponsiveEndpoint> CreateAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = new UnresponsiveEndpoint(listener);
        for (var i = 0; i < 16; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Port), timeout.Token);
                endpoint._fillers.Add(filler);
            }
            catch (OperationCanceledException)
            {
                // This connect got no answer: the queue is full and the endpoint is unresponsive from now on.
                filler.Dispose();
                return endpoint;
            }
        }

        endpoint.Dispose();
        throw new InvalidOperationException("Could not fill the accept queue of a loopback listener.");
    }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
