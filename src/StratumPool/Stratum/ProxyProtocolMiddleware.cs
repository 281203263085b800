using System.Net;
using Microsoft.AspNetCore.Connections;
using Stratum.Protocol.ProxyProtocol;
using StratumPool.Metrics;

namespace StratumPool.Stratum;

/// <summary>
/// Connection middleware for the Stratum listener: when the peer is a trusted proxy and the stream starts with
/// a PROXY protocol v1/v2 header, the header is consumed and <c>ConnectionContext.RemoteEndPoint</c>
/// becomes the miner's real address, so sessions, statistics and logs see the miner, not the proxy.
/// Input that does not start like a header is left untouched (a miner connecting directly from loopback),
/// and headers from untrusted peers are never read: their bytes reach the Stratum parser, which refuses them.
/// </summary>
public sealed partial class ProxyProtocolMiddleware(TrustedProxyList trusted, TimeSpan timeout, TimeProvider time, PoolMetrics metrics, ILogger<ProxyProtocolMiddleware> logger)
{
    public Func<ConnectionDelegate, ConnectionDelegate> Create() => next => async connection =>
    {
        if (!trusted.IsTrusted((connection.RemoteEndPoint as IPEndPoint)?.Address))
        {
            await next(connection);
            return;
        }

        using var deadline = new CancellationTokenSource(timeout, time);
        bool proceed;
        try
        {
            proceed = await TryConsumeHeaderAsync(connection, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            metrics.SessionsClosed.WithLabels(["handshake_timeout"]).Inc();
            LogTimeout(connection.ConnectionId);
            return;
        }

        if (proceed)
        {
            await next(connection);
        }
    };

    private async Task<bool> TryConsumeHeaderAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            if (buffer.IsEmpty)
            {
                input.AdvanceTo(buffer.Start);
                return !read.IsCompleted;
            }

            var first = buffer.FirstSpan[0];
            if (first != (byte)'P' && first != ProxyProtocolReader.V2Signature[0])
            {
                input.AdvanceTo(buffer.Start);
                return true;
            }

            switch (ProxyProtocolReader.TryRead(buffer, out var header, out var consumed))
            {
                case ProxyHeaderStatus.Complete:
                    input.AdvanceTo(buffer.GetPosition(consumed));
                    if (!header.IsLocal)
                    {
                        LogProxied(connection.ConnectionId, connection.RemoteEndPoint?.ToString() ?? "", header.Source!.ToString());
                        connection.RemoteEndPoint = header.Source;
                        if (header.Destination is not null)
                        {
                            connection.LocalEndPoint = header.Destination;
                        }
                    }

                    return true;
                case ProxyHeaderStatus.NeedMoreData when !read.IsCompleted:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                default:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    metrics.SessionsClosed.WithLabels(["bad_proxy_header"]).Inc();
                    LogInvalidHeader(connection.ConnectionId, connection.RemoteEndPoint?.ToString() ?? "");
                    return false;
            }
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from proxy {Proxy} carries miner {Client}")]
    private partial void LogProxied(string connectionId, string proxy, string client);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Closing connection {ConnectionId} from {Proxy}: malformed PROXY protocol header")]
    private partial void LogInvalidHeader(string connectionId, string proxy);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Closing connection {ConnectionId}: no data within the handshake timeout")]
    private partial void LogTimeout(string connectionId);
}
