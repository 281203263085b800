using System.Net;
using System.Net.Sockets;

namespace StratumProxy.Routing;

/// <summary>Opens TCP connections to destination addresses with the proxy's socket settings.</summary>
public sealed class DestinationSocketFactory(DestinationSocketOptions options)
{
    public DestinationSocketOptions Options { get; } = options;

    /// <summary>Resolves the address (names on every call) and connects to its records in turn.</summary>
    /// <exception cref="LocalSocketException">The proxy is out of descriptors or buffers.</exception>
    public async ValueTask<Socket> ConnectAsync(DestinationAddress address, CancellationToken cancellationToken)
    {
        var addresses = await address.ResolveAsync(cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var ip in addresses)
        {
            Socket socket;
            try
            {
                socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (SocketException e)
            {
                // Out of descriptors (EMFILE/ENFILE) or buffers: the proxy's own shortage, not the destination's.
                throw new LocalSocketException(e);
            }

            try
            {
                Configure(socket);
                await socket.ConnectAsync(new IPEndPoint(ip, address.Port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.NoBufferSpaceAvailable or SocketError.TooManyOpenSockets)
            {
                socket.Dispose();
                throw new LocalSocketException(e);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Keepalive and no-delay, set before connecting so they apply from the first segment.</summary>
    public void Configure(Socket socket)
    {
        socket.NoDelay = Options.NoDelay;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Seconds(Options.KeepAliveTime));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Seconds(Options.KeepAliveInterval));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, Math.Max(1, Options.KeepAliveRetryCount));
    }

    private static int Seconds(TimeSpan value) => Math.Max(1, (int)Math.Ceiling(value.TotalSeconds));
}
