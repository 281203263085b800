using System.Net;
using System.Net.Sockets;
using Stratum.Transport.EventLoop;

namespace StratumProxy.Routing;

/// <summary>Opens TCP connections to destination addresses with the proxy's socket settings.</summary>
public sealed class DestinationSocketFactory
{
    // Made once: a method group or a lambda over this instance is a new delegate on every connect.
    private readonly Action<EpollSocket> _configureEpollSocket;
    private readonly Func<IPEndPoint, CancellationToken, ValueTask<EpollSocket>> _connectEpollSocket;
    private readonly Func<IPEndPoint, CancellationToken, ValueTask<Socket>> _connectSocket;

    public DestinationSocketFactory(DestinationSocketOptions options)
    {
        Options = options;
        _configureEpollSocket = Configure;
        _connectEpollSocket = (endPoint, token) => EpollSocket.ConnectAsync(endPoint, _configureEpollSocket, token);
        _connectSocket = ConnectSocketAsync;
    }

    public DestinationSocketOptions Options { get; }

    /// <summary>
    /// A session's connection, on the transport's event loops (as the miner's side is). Resolves the address
    /// (names on every call) and connects to its records in turn.
    /// </summary>
    /// <exception cref="LocalSocketException">The proxy is out of descriptors or buffers.</exception>
    public ValueTask<EpollSocket> ConnectAsync(DestinationAddress address, CancellationToken cancellationToken) =>
        ConnectAnyAsync(address, _connectEpollSocket, cancellationToken);

    /// <summary>A connection on the runtime's sockets, for probes that read it as a stream.</summary>
    /// <exception cref="LocalSocketException">The proxy is out of descriptors or buffers.</exception>
    public ValueTask<Socket> ConnectSocketAsync(DestinationAddress address, CancellationToken cancellationToken) =>
        ConnectAnyAsync(address, _connectSocket, cancellationToken);

    private static async ValueTask<T> ConnectAnyAsync<T>(
        DestinationAddress address,
        Func<IPEndPoint, CancellationToken, ValueTask<T>> connect,
        CancellationToken cancellationToken)
    {
        var addresses = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var ip in addresses)
        {
            try
            {
                return await connect(new IPEndPoint(ip, address.Port), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.NoBufferSpaceAvailable or SocketError.TooManyOpenSockets)
            {
                // Out of descriptors (EMFILE/ENFILE) or buffers: the proxy's own shortage, not the destination's.
                throw new LocalSocketException(e);
            }
            catch (SocketException e)
            {
                last = e;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private async ValueTask<Socket> ConnectSocketAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            Configure(socket);
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Keepalive and no-delay, set before connecting so they apply from the first segment.</summary>
    private void Configure(Socket socket)
    {
        socket.NoDelay = Options.NoDelay;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Seconds(Options.KeepAliveTime));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Seconds(Options.KeepAliveInterval));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Math.Max(1, Options.KeepAliveRetryCount));
    }

    private void Configure(EpollSocket socket)
    {
        socket.SetNoDelay(Options.NoDelay);
        socket.SetKeepAlive(Seconds(Options.KeepAliveTime), Seconds(Options.KeepAliveInterval), Math.Max(1, Options.KeepAliveRetryCount));
    }

    private static int Seconds(TimeSpan value) => Math.Max(1, (int)Math.Ceiling(value.TotalSeconds));
}
