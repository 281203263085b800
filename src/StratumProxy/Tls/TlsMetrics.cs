using System.Security.Authentication;
using Prometheus;

namespace StratumProxy.Tls;

/// <summary>TLS handshake and certificate metrics.</summary>
public sealed class TlsMetrics
{
    private readonly Counter _handshakes;
    private readonly Gauge _expiry;
    private readonly Counter _recordLayers;
    private readonly Counter _handshakeEngines;

    public TlsMetrics(IMetricFactory factory)
    {
        _handshakes = factory.CreateCounter(
            "stratum_proxy_tls_handshakes_total",
            "TLS handshakes on stratum ports by outcome (success, failure, acme_challenge) and negotiated protocol.",
            new CounterConfiguration { LabelNames = ["outcome", "protocol"] });
        _expiry = factory.CreateGauge(
            "stratum_proxy_certificate_expiry_seconds",
            "Expiry (notAfter) of the certificate served for a host, as Unix time in seconds.",
            new GaugeConfiguration { LabelNames = ["host"] });
        _recordLayers = factory.CreateCounter(
            "stratum_proxy_tls_record_layer_total",
            "TLS sessions by what carries their records after the handshake: openssl (the proxy's own record layer on the socket) or stream (the runtime's TLS stream, when the connection could not be taken over).",
            new CounterConfiguration { LabelNames = ["layer"] });
        _handshakeEngines = factory.CreateCounter(
            "stratum_proxy_tls_handshake_engine_total",
            "TLS handshakes begun on a ClientHello, by what makes them: openssl (the proxy, on OpenSSL directly) or stream (the runtime's TLS stream: tls-alpn-01 validations, certificates OpenSSL could not take, transports without their own record layer).",
            new CounterConfiguration { LabelNames = ["engine"] });
    }

    public void HandshakeSucceeded(SslProtocols protocol) => _handshakes.WithLabels(["success", ProtocolLabel(protocol)]).Inc();

    public void HandshakeFailed() => _handshakes.WithLabels(["failure", "unknown"]).Inc();

    public void AcmeChallengeAnswered(SslProtocols protocol) => _handshakes.WithLabels(["acme_challenge", ProtocolLabel(protocol)]).Inc();

    public void RecordLayerChosen(bool openSsl) => _recordLayers.WithLabels([openSsl ? "openssl" : "stream"]).Inc();

    public double RecordLayerCount(string layer) => _recordLayers.WithLabels([layer]).Value;

    public void HandshakeEngineChosen(bool openSsl) => _handshakeEngines.WithLabels([openSsl ? "openssl" : "stream"]).Inc();

    public double HandshakeEngineCount(string engine) => _handshakeEngines.WithLabels([engine]).Value;

    public void SetExpiry(string host, DateTimeOffset notAfter) => _expiry.WithLabels([host]).Set(notAfter.ToUnixTimeSeconds());

    public double HandshakeCount(string outcome, string protocol) => _handshakes.WithLabels([outcome, protocol]).Value;

    public double Expiry(string host) => _expiry.WithLabels([host]).Value;

#pragma warning disable CS0618, SYSLIB0039 // naming the obsolete versions is what lets an operator see them refused
    public static string ProtocolLabel(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "tls13",
        SslProtocols.Tls12 => "tls12",
        SslProtocols.Tls11 => "tls11",
        SslProtocols.Tls => "tls10",
        _ => "unknown",
    };
#pragma warning restore CS0618, SYSLIB0039
}
