using System.Security.Authentication;
using Microsoft.AspNetCore.Connections.Features;

namespace StratumProxy.Tls;

/// <summary>What a handshake made on OpenSSL agreed, for the stages after it (as Kestrel's TLS stage publishes its own).</summary>
internal sealed class OpenSslHandshakeFeature(SslProtocols protocol, string? hostName) : ITlsHandshakeFeature
{
    public SslProtocols Protocol { get; } = protocol;

    public string HostName { get; } = hostName ?? string.Empty;

#pragma warning disable SYSLIB0058 // the algorithm properties are obsolete; the interface still asks for them
    public CipherAlgorithmType CipherAlgorithm => CipherAlgorithmType.None;

    public int CipherStrength => 0;

    public HashAlgorithmType HashAlgorithm => HashAlgorithmType.None;

    public int HashStrength => 0;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => ExchangeAlgorithmType.None;

    public int KeyExchangeStrength => 0;
#pragma warning restore SYSLIB0058
}
