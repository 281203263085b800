using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace StratumProxy.Acme.Challenges;

/// <summary>
/// Pending tls-alpn-01 answers (RFC 8737): per host, a self-signed certificate carrying the critical
/// <c>id-pe-acmeIdentifier</c> extension, served only to ClientHellos that offer ALPN <c>acme-tls/1</c>.
/// </summary>
public sealed class TlsAlpnChallengeStore : IAcmeChallengeResponder
{
    /// <summary>id-pe-acmeIdentifier.</summary>
    public const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

    public static readonly SslApplicationProtocol AcmeTls1 = new("acme-tls/1");

    private readonly ConcurrentDictionary<string, SslStreamCertificateContext> _certificates = new(StringComparer.OrdinalIgnoreCase);

    public string ChallengeType => "tls-alpn-01";

    /// <summary>True when at least one challenge is pending; lets the TLS path skip a lookup in the common case.</summary>
    public bool IsEmpty => _certificates.IsEmpty;

    public void Provision(string host, string token, string keyAuthorization)
    {
        using var certificate = CreateChallengeCertificate(host, keyAuthorization);
        _certificates[host] = SslStreamCertificateContext.Create(X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null), null, offline: true);
    }

    public void Remove(string host, string token) => _certificates.TryRemove(host, out _);

    public bool TryGetCertificate(string host, out SslStreamCertificateContext context) =>
        _certificates.TryGetValue(host, out context!);

    public static X509Certificate2 CreateChallengeCertificate(string host, string keyAuthorization)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + host), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build(critical: false));
        // extnValue is the DER OCTET STRING holding SHA-256(key authorization) (RFC 8737 §3).
        var digest = SHA256.HashData(Encoding.ASCII.GetBytes(keyAuthorization));
        var octetString = new byte[2 + digest.Length];
        octetString[0] = 0x04;
        octetString[1] = (byte)digest.Length;
        digest.CopyTo(octetString, 2);
        request.CertificateExtensions.Add(new X509Extension(AcmeIdentifierOid, octetString, critical: true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
    }
}
