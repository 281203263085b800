using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StratumProxy.Acme;

namespace StratumProxy.Tests.Acme;

public sealed class AcmeStorageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "acme-store-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void AccountKeyIsCreatedOnceWithOwnerOnlyModeAndReused()
    {
        using var first = AcmeAccountKeyStore.LoadOrCreate(_directory);
        using var second = AcmeAccountKeyStore.LoadOrCreate(_directory);

        Assert.Equal(first.Thumbprint, second.Thumbprint);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, AcmeAccountKeyStore.FileName)));
        }
    }

    [Fact]
    public void CertificateIsStoredPerHostSetAndLoadsBack()
    {
        var store = new AcmeCertificateStore(_directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pool.example.com", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        var saved = store.Save(["pool.example.com"], certificate.ExportCertificatePem(), key);
        var loaded = store.TryLoad(["POOL.example.com"]);

        Assert.NotNull(loaded);
        Assert.Equal(saved.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.Leaf.HasPrivateKey);
        Assert.Null(store.TryLoad(["other.example.com"]));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(store.DirectoryFor(["pool.example.com"]), AcmeCertificateStore.KeyFileName)));
        }
    }

    [Theory]
    [InlineData(new[] { "pool.example.com" }, "pool.example.com")]
    [InlineData(new[] { "b.example.com", "A.example.com" }, "a.example.com+b.example.com")]
    [InlineData(new[] { "*.example.com" }, "_wildcard_.example.com")]
    [InlineData(new[] { "../etc/passwd" }, ".._etc_passwd")]
    public void HostSetNamesAreStableAndFileSystemSafe(string[] hosts, string expected) =>
        Assert.Equal(expected, AcmeCertificateStore.NameOf(hosts));

    [Fact]
    public void CsrCarriesEveryHostAsSubjectAlternativeName()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = AcmeCertificateIssuer.CreateCsr(["a.example.com", "b.example.com"], key);

        var csr = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var san = new X509SubjectAlternativeNameExtension(csr.CertificateExtensions.Single(e => e.Oid?.Value == "2.5.29.17").RawData);

        Assert.Equal(["a.example.com", "b.example.com"], san.EnumerateDnsNames());
        Assert.Equal("CN=a.example.com", csr.SubjectName.Name);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
