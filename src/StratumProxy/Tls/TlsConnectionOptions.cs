using System.Security.Authentication;
using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Acme.Challenges;

namespace StratumProxy.Tls;

/// <summary>What <see cref="StratumTlsListenOptionsExtensions.UseStratumTls"/> needs for one listener.</summary>
public sealed record TlsConnectionOptions
{
    public required string ListenerName { get; init; }

    public required ServerCertificateSelector Certificates { get; init; }

    public required TlsMetrics Metrics { get; init; }

    /// <summary>TLS 1.2 and 1.3 unless the listener's <c>Protocols</c> narrow it; 1.0/1.1 are never offered.</summary>
    public SslProtocols EnabledProtocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Budget from accept to a finished handshake (the ClientHello included).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Pending tls-alpn-01 answers served on this port; null when the listener takes no part in ACME.</summary>
    public TlsAlpnChallengeStore? AcmeChallenges { get; init; }

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Turns the listener's <c>Protocols</c> list into <see cref="SslProtocols"/>; empty means TLS 1.2 + 1.3.</summary>
    public static SslProtocols ParseProtocols(IReadOnlyCollection<string> names)
    {
        if (names.Count == 0)
        {
            return SslProtocols.Tls12 | SslProtocols.Tls13;
        }

        var protocols = SslProtocols.None;
        foreach (var name in names)
        {
            protocols |= name.Replace(".", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
            {
                "TLS12" => SslProtocols.Tls12,
                "TLS13" => SslProtocols.Tls13,
                _ => throw new ArgumentException($"TLS protocol '{name}' is not accepted: use Tls12 and/or Tls13 (1.0 and 1.1 are refused)."),
            };
        }

        return protocols;
    }
}
