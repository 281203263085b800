using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Stratum.Protocol.Framing;

namespace StratumPool.Stratum;

/// <summary>
/// Kestrel connection handler for the Stratum port: reads newline-framed JSON-RPC requests from the
/// connection's <c>PipeReader</c> and lets the session answer them in order. A malformed or oversized line
/// closes the session (logged and counted); an unknown method does not.
/// </summary>
public sealed partial class StratumConnectionHandler(StratumServerContext context, ILogger<StratumConnectionHandler> logger) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint as IPEndPoint;
        var session = new StratumSession(context, connection.ConnectionId, remote, connection.Transport.Output, reason =>
        {
            LogClosing(connection.ConnectionId, reason);
            connection.Abort(new ConnectionAbortedException(reason));
        });

        context.Sessions.Add(session);
        context.Metrics.Sessions.Inc();
        LogConnected(connection.ConnectionId, remote?.ToString() ?? "unknown");
        // Kestrel asks connections to close on shutdown: the miner gets client.reconnect, then the connection ends
        // (instead of Kestrel waiting for the shutdown timeout and aborting it).
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, closeRequested);
        try
        {
            await ReadLoopAsync(connection, session, stop.Token);
        }
        catch (OperationCanceledException) when (closeRequested.IsCancellationRequested && !connection.ConnectionClosed.IsCancellationRequested)
        {
            await SendReconnectAsync(session);
        }
        catch (Exception exception) when (exception is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException or ObjectDisposedException)
        {
            LogConnectionError(connection.ConnectionId, exception.GetType().Name, exception.Message);
        }
        finally
        {
            session.Close();
            context.Sessions.Remove(session);
            context.Metrics.Sessions.Dec();
            LogDisconnected(connection.ConnectionId);
        }
    }

    private async Task SendReconnectAsync(StratumSession session)
    {
        if (!session.IsSubscribed)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await session.SendReconnectAsync(timeout.Token);
            LogReconnectSent(session.ConnectionId);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            LogConnectionError(session.ConnectionId, exception.GetType().Name, exception.Message);
        }
    }

    private async Task ReadLoopAsync(ConnectionContext connection, StratumSession session, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        var maxLine = context.Options.MaxLineBytes;
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            try
            {
                while (true)
                {
                    var status = StratumLineReader.TryReadLine(ref buffer, maxLine, out var line);
                    if (status == LineReadStatus.NeedMoreData)
                    {
                        break;
                    }

                    if (status == LineReadStatus.TooLong)
                    {
                        Close(session, "line_too_long", $"line longer than {maxLine} bytes");
                        return;
                    }

                    if (IsBlank(line))
                    {
                        continue;
                    }

                    if (!StratumRequestParser.TryParse(line, out var request, out var error))
                    {
                        Close(session, "malformed", error);
                        return;
                    }

                    await session.HandleAsync(request, cancellationToken);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                return;
            }
        }
    }

    private void Close(StratumSession session, string reason, string detail)
    {
        context.Metrics.SessionsClosed.WithLabels([reason]).Inc();
        LogMalformed(session.ConnectionId, session.RemoteEndPoint?.ToString() ?? "unknown", detail);
        session.Abort(reason);
    }

    private static bool IsBlank(in ReadOnlySequence<byte> line)
    {
        if (line.IsEmpty)
        {
            return true;
        }

        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept(" \t\r"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Stratum connection {ConnectionId} from {Remote}")]
    private partial void LogConnected(string connectionId, string remote);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Stratum connection {ConnectionId} closed")]
    private partial void LogDisconnected(string connectionId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Closing Stratum session {ConnectionId} from {Remote}: {Reason}")]
    private partial void LogMalformed(string connectionId, string remote, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Stratum connection {ConnectionId} ended: {Kind} {Message}")]
    private partial void LogConnectionError(string connectionId, string kind, string message);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Shutting down: client.reconnect sent to {ConnectionId}")]
    private partial void LogReconnectSent(string connectionId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Aborting Stratum connection {ConnectionId}: {Reason}")]
    private partial void LogClosing(string connectionId, string reason);
}
