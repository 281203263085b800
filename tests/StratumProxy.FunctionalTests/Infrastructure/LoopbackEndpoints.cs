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

    /// <summary>
    /// A free port on 127.0.0.1 below the kernel's ephemeral range, for a listener opened later than it is chosen
    /// (a challenge responder a CA is told about in advance): a port from the ephemeral range can meanwhile become
    /// the local port of any other test's connection, and the listener then fails with "address already in use".
    /// </summary>
    public static int ReservedPort()
    {
        var ephemeralStart = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            ephemeralStart = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
        }

        var low = Math.Min(20000, ephemeralStart / 2);
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(low, ephemeralStart);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new InvalidOperationException($"No free port between {low} and {ephemeralStart} on 127.0.0.1.");
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
            // A loopback handshake completes in the kernel at once; a second with no answer means a dropped SYN.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
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
