using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StratumProxy.Acme;

namespace StratumProxy.Tests.Acme;

public sealed class AcmeRenewalInfoIdTests
{
    [Fact]
    public void MatchesTheRfc9773Example()
    {
        // RFC 9773 §4.1: keyIdentifier 69:88:5B:...:C8:D4 and serial 00:87:65:43:21 give this identifier.
        byte[] keyIdentifier = Convert.FromHexString("69885B6B87464041E1B37B847BA0AE2CDE01C8D4");
        byte[] serial = [0x00, 0x87, 0x65, 0x43, 0x21];
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pool.example.com", leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(keyIdentifier));
        using var certificate = request.Create(new X500DistinguishedName("CN=Test CA"), X509SignatureGenerator.CreateForECDsa(issuerKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), serial);

        Assert.Equal("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", AcmeRenewalInfoId.TryCreate(certificate));
    }

    [Fact]
    public void NoAuthorityKeyIdentifierMeansNoIdentifier()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Assert.Null(AcmeRenewalInfoId.TryCreate(certificate));
    }
}
