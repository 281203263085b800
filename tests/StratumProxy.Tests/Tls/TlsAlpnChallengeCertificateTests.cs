using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using StratumProxy.Acme.Challenges;

namespace StratumProxy.Tests.Tls;

public sealed class TlsAlpnChallengeCertificateTests
{
    [Fact]
    public void CarriesTheCriticalAcmeIdentifierWithTheKeyAuthorizationDigest()
    {
        using var certificate = TlsAlpnChallengeStore.CreateChallengeCertificate("pool.example.com", "token.thumbprint");

        var extension = certificate.Extensions.Single(e => e.Oid?.Value == "1.3.6.1.5.5.7.1.31");
        Assert.True(extension.Critical);
        byte[] expected = [0x04, 0x20, .. SHA256.HashData(Encoding.ASCII.GetBytes("token.thumbprint"))];
        Assert.Equal(expected, extension.RawData);
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["pool.example.com"], san.EnumerateDnsNames());
    }

    [Fact]
    public void IsServedOnlyWhileProvisioned()
    {
        var store = new TlsAlpnChallengeStore();
        Assert.True(store.IsEmpty);

        store.Provision("pool.example.com", "tok", "tok.thumb");
        Assert.True(store.TryGetCertificate("POOL.example.com", out var context));
        Assert.Equal("CN=pool.example.com", context.TargetCertificate.Subject);
        Assert.False(store.TryGetCertificate("other.example.com", out _));

        store.Remove("pool.example.com", "tok");
        Assert.False(store.TryGetCertificate("pool.example.com", out _));
        Assert.True(store.IsEmpty);
    }
}
