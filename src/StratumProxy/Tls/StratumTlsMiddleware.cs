using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Stratum.Transport;
using Stratum.Transport.Tls;
using StratumProxy.Acme.Challenges;

namespace StratumProxy.Tls;

/// <summary>The three steps around Kestrel's TLS middleware that <see cref="StratumTlsListenOptionsExtensions.UseStratumTls"/> installs.</summary>
internal sealed partial class StratumTlsMiddleware(TlsConnectionOptions options)
{
    private static readonly List<SslApplicationProtocol> NoAlpn = [];
    private static readonly List<SslApplicationProtocol> AcmeAlpn = [TlsAlpnChallengeStore.AcmeTls1];

    private readonly ILogger _logger = options.LoggerFactory.CreateLogger<StratumTlsMiddleware>();

    // The pipeline after Kestrel's TLS stage, for handshakes made here on OpenSSL (set when the pipeline is built).
    private ConnectionDelegate? _afterHandshake;

    /// <summary>
    /// Reads the ClientHello without consuming it, publishes it, and counts handshakes that never complete. Where the
    /// connection can carry OpenSSL records itself and the certificate is ready for it, the handshake is made here
    /// on OpenSSL and Kestrel's TLS stage (and its <c>SslStream</c>) is skipped; otherwise that stage makes it.
    /// </summary>
    public ConnectionDelegate SniffClientHello(ConnectionDelegate next) => async context =>
    {
        var feature = new ClientHelloFeature();
        context.Features.Set<IClientHelloFeature>(feature);
        context.Features.Set(feature);

        // The handshake's public-key work runs on the thread pool, which the scheduler spreads over the cores; on the
        // connection's event loop it would hold every other session of that loop (and its CPU) for its duration.
        if (context.Features.Get<IEpollSocketFeature>()?.Socket is { InlineCompletions: true } socket)
        {
            socket.InlineCompletions = false;
            feature.InlineAfterHandshake = socket;
        }

        try
        {
            var handshook = false;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed))
            {
                timeout.CancelAfter(options.HandshakeTimeout);
                try
                {
                    feature.ClientHello = await ReadClientHelloAsync(context.Transport.Input, timeout.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException or ConnectionAbortedException)
                {
                    options.Metrics.HandshakeFailed();
                    feature.FailureCounted = true;
                    LogHandshakeFailed(_logger, options.ListenerName, context.RemoteEndPoint?.ToString(), "no ClientHello: " + ex.Message);
                    return;
                }

                if (_afterHandshake is not null
                    && context.Features.Get<ITlsRecordLayerFeature>() is { } records
                    && OpenSslContextFor(feature.ClientHello) is { } openSsl)
                {
                    handshook = await HandshakeOnOpenSslAsync(context, records, feature, openSsl, timeout.Token);
                    if (!handshook)
                    {
                        return;
                    }
                }
            }

            if (handshook)
            {
                await _afterHandshake!(context);
                return;
            }

            // Counted only for a ClientHello: a probe that connects and closes, or bytes that are not TLS, is a failure
            // of the stream's (counted below) but no handshake either engine began.
            if (feature.ClientHello is not null)
            {
                options.Metrics.HandshakeEngineChosen(openSsl: false);
            }

            if (OpenSslConnection.IsAvailable && context.Features.Get<ITlsRecordLayerFeature>() is not null)
            {
                feature.HandshakeReader = new TlsRecordBoundedReader(context.Transport);
                context.Transport = feature.HandshakeReader;
            }

            await next(context);
        }
        finally
        {
            if (!feature.HandshakeCompleted && !feature.FailureCounted)
            {
                options.Metrics.HandshakeFailed();
                LogHandshakeFailed(_logger, options.ListenerName, context.RemoteEndPoint?.ToString(), "handshake not completed (sni " + (feature.ClientHello?.ServerName ?? "none") + ")");
            }
        }
    };

    /// <summary>
    /// The OpenSSL context for a handshake on a transport with its own record layer, or null when it goes through
    /// Kestrel's TLS stage: no ClientHello, a tls-alpn-01 validation (answered with the challenge certificate and
    /// its ALPN there), no certificate for the name yet, or a certificate OpenSSL cannot take.
    /// </summary>
    private OpenSslServerContext? OpenSslContextFor(ClientHelloInfo? hello)
    {
        if (hello is null || hello.Offers(TlsAlpnChallengeStore.AcmeTls1.ToString()))
        {
            return null;
        }

        return options.Certificates.Select(hello.ServerName)?.OpenSslContext(options.EnabledProtocols);
    }

    /// <summary>
    /// Makes the handshake on OpenSSL over the connection's pipes and hands the connection the record layer; false
    /// (counted and logged) when the handshake fails, times out or the peer leaves.
    /// </summary>
    private async ValueTask<bool> HandshakeOnOpenSslAsync(ConnectionContext context, ITlsRecordLayerFeature records, ClientHelloFeature feature, OpenSslServerContext openSsl, CancellationToken cancellationToken)
    {
        options.Metrics.HandshakeEngineChosen(openSsl: true);
        using var handshake = openSsl.StartHandshake();
        var input = context.Transport.Input;
        var output = context.Transport.Output;
        string? failure = null;
        try
        {
            while (failure is null && !handshake.Completed)
            {
                var result = await input.ReadAsync(cancellationToken);
                var advanced = handshake.Advance(result.Buffer);
                input.AdvanceTo(result.Buffer.End);

                // The server's flight, or the alert that says why the handshake failed.
                if (handshake.PendingOutput > 0)
                {
                    while (handshake.PendingOutput is > 0 and var pending)
                    {
                        output.Advance(handshake.ReadOutput(output.GetSpan(pending)));
                    }

                    await output.FlushAsync(cancellationToken);
                }

                failure = !advanced ? handshake.Failure
                    : !handshake.Completed && result.IsCompleted ? "the client closed during the handshake"
                    : null;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException or ConnectionAbortedException)
        {
            failure = ex is OperationCanceledException ? "handshake timed out or the connection closed" : ex.Message;
        }

        var plaintext = failure is null ? records.TryTakeOverRecords(handshake.Connection) : null;
        if (plaintext is null)
        {
            options.Metrics.HandshakeFailed();
            feature.FailureCounted = true;
            LogHandshakeFailed(_logger, options.ListenerName, context.RemoteEndPoint?.ToString(), failure ?? "the connection could not take the records over");
            return false;
        }

        context.Transport = plaintext;
        context.Features.Set<ITlsHandshakeFeature>(new OpenSslHandshakeFeature(handshake.Protocol, feature.ClientHello?.ServerName));
        feature.RecordsTakenOver = true;
        return true;
    }

    /// <summary>Kestrel's per-connection callback: the certificate context for the SNI, or the tls-alpn-01 challenge certificate.</summary>
    public ValueTask<SslServerAuthenticationOptions> SelectServerOptions(TlsHandshakeCallbackContext context)
    {
        var serverName = context.ClientHelloInfo.ServerName;
        var hello = context.Connection.Features.Get<IClientHelloFeature>()?.ClientHello;
        if (options.AcmeChallenges is { IsEmpty: false } challenges
            && hello is not null
            && hello.Offers(TlsAlpnChallengeStore.AcmeTls1.ToString())
            && !string.IsNullOrEmpty(serverName)
            && challenges.TryGetCertificate(serverName, out var challenge))
        {
            LogAcmeChallenge(_logger, options.ListenerName, serverName);
            return ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = challenge,
                ApplicationProtocols = AcmeAlpn,
                EnabledSslProtocols = options.EnabledProtocols,
            });
        }

        var certificate = options.Certificates.Select(serverName)
            ?? throw new InvalidOperationException($"Listener {options.ListenerName} has no certificate yet for '{serverName}'.");
        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            ApplicationProtocols = NoAlpn,
            EnabledSslProtocols = options.EnabledProtocols,
            ClientCertificateRequired = false,
        });
    }

    /// <summary>Counts the finished handshake; a tls-alpn-01 validation connection ends here (RFC 8737 §3: no data follows).</summary>
    public ConnectionDelegate AfterHandshake(ConnectionDelegate next)
    {
        ConnectionDelegate afterHandshake = context => AfterHandshakeAsync(context, next);
        _afterHandshake = afterHandshake;
        return afterHandshake;
    }

    private async Task AfterHandshakeAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var feature = context.Features.Get<ClientHelloFeature>();
        if (feature is not null)
        {
            feature.HandshakeCompleted = true;
            if (feature.InlineAfterHandshake is { } socket)
            {
                socket.InlineCompletions = true;
            }
        }

        var tls = context.Features.Get<ITlsHandshakeFeature>();
        var protocol = tls?.Protocol ?? System.Security.Authentication.SslProtocols.None;
        if (context.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("acme-tls/1"u8) == true)
        {
            options.Metrics.AcmeChallengeAnswered(protocol);
            return;
        }

        options.Metrics.HandshakeSucceeded(protocol);
        if (feature?.RecordsTakenOver == true)
        {
            options.Metrics.RecordLayerChosen(openSsl: true);
        }
        else if (context.Features.Get<ISslStreamFeature>()?.SslStream is { } ssl)
        {
            // The records from here on go through OpenSSL on the connection's own pipes, not the stream's.
            var plaintext = feature?.HandshakeReader is { KeptBounds: true }
                && context.Features.Get<ITlsRecordLayerFeature>() is { } records
                && OpenSslConnection.Find(ssl) is { } handle
                    ? records.TryTakeOverRecords(handle)
                    : null;
            if (plaintext is not null)
            {
                context.Transport = plaintext;

                // Unread since the handshake, the stream would keep its handshake buffer (8 KiB) for the session's
                // life. Disposing it returns the buffer; the OpenSSL connection lives on while the records need it.
                await ssl.DisposeAsync();
            }
            else
            {
                // The record layer lets idle sessions drop their record buffers itself; the stream's needs telling.
                OpenSslIdleBuffers.TryRelease(ssl);
            }

            options.Metrics.RecordLayerChosen(plaintext is not null);
        }

        await next(context);
    }

    private static async ValueTask<ClientHelloInfo?> ReadClientHelloAsync(System.IO.Pipelines.PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var status = ClientHelloParser.TryParse(buffer, out var info);
            if (status != ClientHelloParseStatus.Incomplete || result.IsCompleted || buffer.Length > ClientHelloParser.MaxClientHelloBytes + 64)
            {
                // Decided: hand every byte to the TLS stage untouched.
                input.AdvanceTo(buffer.Start);
                return info;
            }

            // Undecided: nothing consumed, everything examined, so the next read waits for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    [LoggerMessage(EventId = 3200, Level = LogLevel.Debug, Message = "TLS handshake on {Listener} from {Remote} failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string listener, string? remote, string reason);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Answering a tls-alpn-01 validation for {Host} on {Listener}")]
    private static partial void LogAcmeChallenge(ILogger logger, string listener, string host);
}
