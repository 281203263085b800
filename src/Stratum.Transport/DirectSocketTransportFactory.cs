using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace Stratum.Transport;

/// <summary>
/// Kestrel's transport for the proxy's listeners: each accepted socket is read and written through pipes that
/// sit directly on the socket (<see cref="DirectSocketConnection"/>), on event loops of the transport's own
/// (<see cref="EventLoop.EpollSocket"/>), instead of Kestrel's socket transport, which copies every receive into a
/// pipe of its own and sends from a second one, over the runtime's socket engine. The connection-middleware
/// pipeline above it (PROXY-in, filters, TLS, the session handler) is unchanged; a miner line crosses one pipe
/// less each way and an idle miner keeps no receive loop, send loop or pipe of the transport's.
/// </summary>
public sealed class DirectSocketTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>Pending connections the kernel queues per listener (Kestrel's default).</summary>
    public const int Backlog = 512;

    private readonly ILogger<DirectSocketListener> _logger;
    private readonly bool _inlineCompletions;

    /// <param name="logger">Accept failures.</param>
    /// <param name="inlineCompletions">
    /// Run what waits on a connection on the event loop's thread when the socket is ready (the proxy's
    /// forwarding, which never blocks), instead of on the thread pool (the bundled pool, which writes to its
    /// database on a share).
    /// </param>
    public DirectSocketTransportFactory(ILogger<DirectSocketListener> logger, bool inlineCompletions = true)
    {
        _logger = logger;
        _inlineCompletions = inlineCompletions;
    }

    /// <summary>Whether sessions run on the event loop's thread (true) or on the thread pool.</summary>
    public bool InlineCompletions => _inlineCompletions;

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = CreateBoundListenSocket(endpoint);
        DirectSocketListener listener;
        try
        {
            socket.Listen(Backlog);
            listener = new DirectSocketListener(socket, _inlineCompletions, _logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return ValueTask.FromResult<IConnectionListener>(listener);
    }

    /// <summary>
    /// A listening socket as Kestrel binds it (dual-mode on <c>[::]</c>), with TCP keep-alive: accepted sockets
    /// inherit SO_KEEPALIVE and its timers on Linux, so a miner that vanished without a FIN is noticed even when
    /// the idle timeout is long.
    /// </summary>
    public static Socket CreateBoundListenSocket(EndPoint endpoint)
    {
        var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        if (endpoint is IPEndPoint)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }

        return socket;
    }
}
