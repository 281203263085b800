using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace StratumProxy.Tls;

/// <summary>Puts TLS termination with per-host certificates, SNI, hot swap and tls-alpn-01 into a Kestrel listener pipeline.</summary>
public static class StratumTlsListenOptionsExtensions
{
    /// <summary>
    /// Adds, at this point of the listener's connection pipeline: ClientHello sniffing (SNI, ALPN, handshake budget),
    /// Kestrel's TLS with a per-connection certificate choice, and after it the handshake accounting (tls-alpn-01
    /// validation connections end there). Middlewares added after this call see the decrypted stream.
    /// </summary>
    public static ListenOptions UseStratumTls(this ListenOptions listenOptions, TlsConnectionOptions options)
    {
        var middleware = new StratumTlsMiddleware(options);
        listenOptions.Use(middleware.SniffClientHello);
        listenOptions.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = middleware.SelectServerOptions,
            HandshakeTimeout = options.HandshakeTimeout,
        });
        listenOptions.Use(middleware.AfterHandshake);
        return listenOptions;
    }
}
