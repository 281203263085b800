using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Prometheus;
using StratumProxy.Tls;

namespace StratumProxy.Tests.Tls;

public sealed class ServerCertificateSelectorTests
{
    private readonly TlsMetrics _metrics = new(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()));

    [Theory]
    [InlineData("a.pool.test", "a.pool.test")]
    [InlineData("B.POOL.TEST", "b.pool.test")]
    [InlineData("eu.wild.test", "*.wild.test")]
    [InlineData("deep.eu.wild.test", "a.pool.test")]
    [InlineData("unknown.test", "a.pool.test")]
    [InlineData(null, "a.pool.test")]
    [InlineData("", "a.pool.test")]
    public void PicksByServerName(string? serverName, string expectedHost)
    {
        var selector = new ServerCertificateSelector([Slot("a.pool.test"), Slot("b.pool.test"), Slot("*.wild.test")]);

        Assert.Equal(expectedHost, selector.SelectSlot(serverName).Host);
        Assert.Equal("CN=" + expectedHost, selector.Select(serverName)!.Leaf.Subject);
    }

    [Fact]
    public void HostWithoutCertificateYetFallsBackToOneThatHasOne()
    {
        var empty = new CertificateSlot("late.pool.test", _metrics);
        var selector = new ServerCertificateSelector([empty, Slot("b.pool.test")]);

        Assert.Equal("CN=b.pool.test", selector.Select("late.pool.test")!.Leaf.Subject);
    }

    [Fact]
    public void InstallSwapsAndPublishesExpiry()
    {
        var slot = Slot("a.pool.test");
        var before = slot.Current!;
        var replacement = ServerCertificate.FromCertificate(Create("a.pool.test", days: 90), "test");

        slot.Install(replacement);

        Assert.NotSame(before, slot.Current);
        Assert.Equal(replacement.NotAfter.ToUnixTimeSeconds(), _metrics.Expiry("a.pool.test"));
    }

    private CertificateSlot Slot(string host)
    {
        var slot = new CertificateSlot(host, _metrics);
        slot.Install(ServerCertificate.FromCertificate(Create(host, days: 30), "test"));
        return slot;
    }

    private static X509Certificate2 Create(string host, int days)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=" + host, key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(days));
    }
}
