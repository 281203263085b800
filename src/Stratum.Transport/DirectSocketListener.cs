using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Stratum.Transport.EventLoop;

namespace Stratum.Transport;

/// <summary>Accepts connections for <see cref="DirectSocketTransportFactory"/>.</summary>
public sealed partial class DirectSocketListener : IConnectionListener
{
    /// <summary>How long accepting pauses when the process or the system is out of descriptors or buffers.</summary>
    private static readonly TimeSpan ResourceBackoff = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket;
    private readonly EpollSocket _events;
    private readonly bool _inlineCompletions;
    private readonly ILogger _logger;

    internal DirectSocketListener(Socket socket, bool inlineCompletions, ILogger logger)
    {
        _socket = socket;
        _events = EpollSocket.ForListener(socket);
        _inlineCompletions = inlineCompletions;
        _logger = logger;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_events.IsDisposed || cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            var accepted = _events.Accept(_inlineCompletions, out var remote, out var error);
            if (accepted is not null)
            {
                return new DirectSocketConnection(accepted, remote);
            }

            switch (error)
            {
                case SocketError.WouldBlock:
                    if (!cancellationToken.CanBeCanceled)
                    {
                        await _events.WaitReadableAsync().ConfigureAwait(false);
                        break;
                    }

                    try
                    {
                        await _events.WaitReadableAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }

                    break;
                case SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown or SocketError.InvalidArgument:
                    return null;
                case SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable:
                    // Out of descriptors or memory: the kernel keeps the miner queued; try again shortly rather than spin.
                    LogAcceptResourceShortage(_logger, EndPoint, error);
                    try
                    {
                        await Task.Delay(ResourceBackoff, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }

                    break;
                default:
                    // A connection reset while queued, or similar: that miner is gone, the listener goes on.
                    LogAcceptFailed(_logger, EndPoint, error);
                    break;
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Close();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void Close()
    {
        _socket.Dispose();
        _events.Dispose();
    }

    [LoggerMessage(EventId = 1120, Level = LogLevel.Warning, Message = "Listener {EndPoint} cannot accept now ({Error}); retrying shortly.")]
    private static partial void LogAcceptResourceShortage(ILogger logger, EndPoint endPoint, SocketError error);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Debug, Message = "Listener {EndPoint}: an accept failed ({Error}).")]
    private static partial void LogAcceptFailed(ILogger logger, EndPoint endPoint, SocketError error);
}
