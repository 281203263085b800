using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Stratum.Transport;

/// <summary>Accepts connections for <see cref="DirectSocketTransportFactory"/>.</summary>
public sealed partial class DirectSocketListener : IConnectionListener
{
    /// <summary>How long accepting pauses when the process or the system is out of descriptors or buffers.</summary>
    private static readonly TimeSpan ResourceBackoff = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket;
    private readonly ILogger _logger;

    internal DirectSocketListener(Socket socket, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var accepted = await _socket.AcceptAsync(cancellationToken);
                accepted.NoDelay = true;
                return new DirectSocketConnection(accepted);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors or memory: the kernel keeps the miner queued; try again shortly rather than spin.
                LogAcceptResourceShortage(_logger, EndPoint, ex.SocketErrorCode);
                await Task.Delay(ResourceBackoff, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                // A connection reset while queued, or similar: that miner is gone, the listener goes on.
                LogAcceptFailed(_logger, EndPoint, ex.SocketErrorCode);
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 1120, Level = LogLevel.Warning, Message = "Listener {EndPoint} cannot accept now ({Error}); retrying shortly.")]
    private static partial void LogAcceptResourceShortage(ILogger logger, EndPoint endPoint, SocketError error);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Debug, Message = "Listener {EndPoint}: an accept failed ({Error}).")]
    private static partial void LogAcceptFailed(ILogger logger, EndPoint endPoint, SocketError error);
}
