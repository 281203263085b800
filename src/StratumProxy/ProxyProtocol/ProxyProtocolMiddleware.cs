using System.Net;
using Microsoft.AspNetCore.Connections;
using Stratum.Protocol.ProxyProtocol;
using StratumProxy.Management;

namespace StratumProxy.ProxyProtocol;

/// <summary>
/// Reads the PROXY header an L4 balancer puts before the client's bytes and makes the real client address
/// the connection's <see cref="BaseConnectionContext.RemoteEndPoint"/>, so limits, bans, logs and hashing use it.
/// Only trusted peers are asked for a header; from anyone else the bytes flow on untouched, so a forged header
/// reaches the Stratum framing as a malformed line and closes the session.
/// </summary>
public sealed partial class ProxyProtocolMiddleware
{
    private readonly string _listener;
    private readonly TrustedProxyList _trusted;
    private readonly TimeSpan _timeout;
    private readonly ProxyMetrics _metrics;
    private readonly ILogger _logger;

    public ProxyProtocolMiddleware(string listener, TrustedProxyList trusted, TimeSpan timeout, ProxyMetrics metrics, ILogger logger)
    {
        _listener = listener;
        _trusted = trusted;
        _timeout = timeout;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.RemoteEndPoint is not IPEndPoint peer || !_trusted.IsTrusted(peer.Address))
        {
            await next(connection);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(_timeout);
        var input = connection.Transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                var status = ProxyProtocolReader.TryRead(buffer, out var header, out var consumed);
                if (status == ProxyHeaderStatus.Complete)
                {
                    input.AdvanceTo(buffer.GetPosition(consumed));
                    if (header.Source is { } source)
                    {
                        connection.RemoteEndPoint = source;
                        connection.Features.Set<IProxyProtocolFeature>(new ProxyProtocolFeature(peer, header.Destination));
                    }

                    break;
                }

                if (status == ProxyHeaderStatus.Invalid || result.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    Reject(connection, peer);
                    return;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            Reject(connection, peer);
            return;
        }

        await next(connection);
    }

    private void Reject(ConnectionContext connection, IPEndPoint peer)
    {
        _metrics.RejectedConnections.WithLabels([_listener, RejectReasons.ProxyProtocol]).Inc();
        LogMissingHeader(_logger, _listener, peer);
        connection.Abort(new ConnectionAbortedException("No valid PROXY protocol header."));
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Listener {Listener}: no valid PROXY header from trusted peer {Peer}; connection closed.")]
    private static partial void LogMissingHeader(ILogger logger, string listener, IPEndPoint peer);
}
