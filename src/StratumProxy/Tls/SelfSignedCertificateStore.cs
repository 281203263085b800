using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StratumProxy.Tls;

/// <summary>
/// Development certificates (and the fallback served before an ACME order completes): generated once per host,
/// kept in <c>{DataPath}/tls/self-signed/{host}/</c> so the thumbprint miners may have pinned survives restarts.
/// </summary>
public sealed partial class SelfSignedCertificateStore(string dataPath, ILogger<SelfSignedCertificateStore> logger, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServerCertificate> _loaded = new(StringComparer.OrdinalIgnoreCase);

    public string DirectoryFor(string host) => Path.Combine(dataPath, "tls", "self-signed", Acme.AcmeCertificateStore.NameOf([host]));

    public ServerCertificate GetOrCreate(string host)
    {
        lock (_lock)
        {
            if (_loaded.TryGetValue(host, out var loaded))
            {
                return loaded;
            }

            var directory = DirectoryFor(host);
            var certPath = Path.Combine(directory, "cert.pem");
            var keyPath = Path.Combine(directory, "key.pem");
            ServerCertificate? certificate = null;
            if (File.Exists(certPath) && File.Exists(keyPath))
            {
                try
                {
                    certificate = ServerCertificate.FromPem(File.ReadAllText(certPath), File.ReadAllText(keyPath), "self-signed");
                    if (!certificate.IsValidAt(time.GetUtcNow()))
                    {
                        certificate = null;
                    }
                }
                catch (CryptographicException ex)
                {
                    LogUnreadable(logger, certPath, ex.Message);
                }
            }

            if (certificate is null)
            {
                using var created = Create(host, time.GetUtcNow());
                using var key = created.GetECDsaPrivateKey()!;
                PrivateFile.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem(), ownerOnly: true);
                PrivateFile.WriteAllText(certPath, created.ExportCertificatePem(), ownerOnly: false);
                certificate = ServerCertificate.FromPem(File.ReadAllText(certPath), File.ReadAllText(keyPath), "self-signed");
                LogCreated(logger, host, certPath);
            }

            LogServing(logger, host, certificate.Thumbprint);
            _loaded[host] = certificate;
            return certificate;
        }
    }

    internal static X509Certificate2 Create(string host, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + host), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (System.Net.IPAddress.TryParse(host, out var address))
        {
            san.AddIpAddress(address);
        }
        else
        {
            san.AddDnsName(host);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
    }

    [LoggerMessage(EventId = 3210, Level = LogLevel.Warning, Message = "Generated a self-signed certificate for {Host} ({Path}); miners will not trust it without pinning. Use Acme or File certificates in production.")]
    private static partial void LogCreated(ILogger logger, string host, string path);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Warning, Message = "Serving a self-signed certificate for {Host} (thumbprint {Thumbprint})")]
    private static partial void LogServing(ILogger logger, string host, string thumbprint);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Warning, Message = "Stored self-signed certificate {Path} is unreadable ({Reason}); generating a new one")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);
}
