using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StratumProxy.Configuration;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>The TLS listener with the runtime's <c>SslStream</c> making the handshakes (Kestrel's socket transport).</summary>
public class TlsListenerTests : IDisposable
{
    private readonly TlsTestEnvironment _env = new();

    /// <summary>True where the proxy's own transport carries the connections and the handshakes are made on OpenSSL.</summary>
    protected virtual bool OnEventLoops => false;

    private string Engine => OnEventLoops ? "openssl" : "stream";

    [Fact]
    public async Task Handshakes_are_made_by_the_engine_of_the_transport_and_a_refused_one_is_counted_once()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("engine", new TlsListenerOptions { Hosts = ["pool.test"], Protocols = ["Tls13"] }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);

        // A well-formed ClientHello the server refuses: TLS 1.2 on a listener that allows 1.3 only.
        await Assert.ThrowsAnyAsync<Exception>(() => TlsTestClient.ConnectAsync(host.Port, "pool.test", SslProtocols.Tls12));
        await Eventually.UntilAsync(() => _env.TlsMetrics.HandshakeCount("failure", "unknown") == 1, TimeSpan.FromSeconds(10), "the refused handshake to be counted");

        await using (var client = await TlsTestClient.ConnectAsync(host.Port, "pool.test"))
        {
            Assert.Equal(SslProtocols.Tls13, client.Ssl.SslProtocol);
            Assert.Equal("ping", await client.EchoAsync("ping"));
        }

        Assert.Equal(2, _env.TlsMetrics.HandshakeEngineCount(Engine));
        Assert.Equal(0, _env.TlsMetrics.HandshakeEngineCount(OnEventLoops ? "stream" : "openssl"));
        Assert.Equal(1, _env.TlsMetrics.HandshakeCount("failure", "unknown"));
        Assert.Equal(1, _env.TlsMetrics.HandshakeCount("success", "tls13"));
    }

    [Fact]
    public async Task A_client_offering_acme_tls_1_with_no_challenge_pending_is_served_through_the_stream()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("alpn", new TlsListenerOptions { Hosts = ["pool.test"] }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);

        await using var client = await TlsTestClient.ConnectAsync(host.Port, "pool.test", alpn: [new SslApplicationProtocol("acme-tls/1")]);

        Assert.Equal("CN=pool.test", client.ServerCertificate.Subject);
        Assert.Equal("ping", await client.EchoAsync("ping"));
        Assert.Equal(1, _env.TlsMetrics.HandshakeEngineCount("stream"));
        Assert.Equal(0, _env.TlsMetrics.HandshakeEngineCount("openssl"));

        // On the proxy's own transport the records still leave the stream for the connection's own record layer.
        Assert.Equal(OnEventLoops ? 1 : 0, _env.TlsMetrics.RecordLayerCount("openssl"));
    }

    private protected Task<TlsEchoHost> StartHostAsync(TlsConnectionOptions options, int port = 0) => TlsEchoHost.StartAsync(options, port, OnEventLoops);

    [Fact]
    public async Task SniPicksTheHostsCertificateAndNoSniGetsTheFirst()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("sni", new TlsListenerOptions { Certificate = CertificateSource.SelfSigned, Hosts = ["a.pool.test", "b.pool.test"] }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);

        await using (var a = await TlsTestClient.ConnectAsync(host.Port, "a.pool.test"))
        {
            Assert.Equal("CN=a.pool.test", a.ServerCertificate.Subject);
            Assert.Equal("ping", await a.EchoAsync("ping"));
        }

        await using (var b = await TlsTestClient.ConnectAsync(host.Port, "b.pool.test"))
        {
            Assert.Equal("CN=b.pool.test", b.ServerCertificate.Subject);
        }

        await using (var none = await TlsTestClient.ConnectAsync(host.Port, serverName: null))
        {
            Assert.Equal("CN=a.pool.test", none.ServerCertificate.Subject);
        }

        await using (var unknown = await TlsTestClient.ConnectAsync(host.Port, "other.pool.test"))
        {
            Assert.Equal("CN=a.pool.test", unknown.ServerCertificate.Subject);
        }

        await Eventually.UntilAsync(
            () => _env.TlsMetrics.HandshakeCount("success", "tls13") + _env.TlsMetrics.HandshakeCount("success", "tls12") >= 4,
            TimeSpan.FromSeconds(10),
            "the four handshakes to be counted");
    }

    [Theory]
    [InlineData(SslProtocols.Tls12, "tls12")]
    [InlineData(SslProtocols.Tls13, "tls13")]
    public async Task Tls12And13AreAccepted(SslProtocols protocol, string label)
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("versions", new TlsListenerOptions { Hosts = ["pool.test"] }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);

        await using var client = await TlsTestClient.ConnectAsync(host.Port, "pool.test", protocol);

        Assert.Equal(protocol, client.Ssl.SslProtocol);
        Assert.Equal("mining.subscribe", await client.EchoAsync("mining.subscribe"));
        await Eventually.UntilAsync(() => _env.TlsMetrics.HandshakeCount("success", label) == 1, TimeSpan.FromSeconds(10), "the handshake to be counted");
    }

    [Fact]
    public async Task Tls11IsRefused()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("old", new TlsListenerOptions { Hosts = ["pool.test"] }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);

#pragma warning disable SYSLIB0039 // TLS 1.1 on purpose: the server must refuse it
        var attempt = TlsTestClient.ConnectAsync(host.Port, "pool.test", SslProtocols.Tls11);
#pragma warning restore SYSLIB0039

        var error = await Assert.ThrowsAnyAsync<Exception>(() => attempt);
        Assert.True(error is AuthenticationException or IOException or PlatformNotSupportedException, error.ToString());
        await Eventually.UntilAsync(() => _env.TlsMetrics.HandshakeCount("failure", "unknown") >= 1, TimeSpan.FromSeconds(10), "the refused handshake to be counted");

        // The listener is unharmed.
        await using var modern = await TlsTestClient.ConnectAsync(host.Port, "pool.test");
        Assert.Equal("still here", await modern.EchoAsync("still here"));
    }

    [Fact]
    public void ProtocolsListRefusesOldVersions()
    {
        Assert.Throws<ArgumentException>(() => TlsConnectionOptions.ParseProtocols(["Tls11"]));
        Assert.Throws<ArgumentException>(() => TlsConnectionOptions.ParseProtocols(["Tls10", "Tls12"]));
        Assert.Equal(SslProtocols.Tls13, TlsConnectionOptions.ParseProtocols(["Tls13"]));
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, TlsConnectionOptions.ParseProtocols([]));
    }

    [Fact]
    public async Task SilentClientIsClosedAfterTheHandshakeTimeoutAndCounted()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("slow", new TlsListenerOptions { Hosts = ["pool.test"] }, TimeSpan.FromMilliseconds(500));
        await using var host = await StartHostAsync(options);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", host.Port);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await tcp.GetStream().ReadAsync(new byte[16], timeout.Token);

        Assert.Equal(0, read);
        Assert.True(_env.TlsMetrics.HandshakeCount("failure", "unknown") >= 1);
    }

    [Fact]
    public async Task GarbageInsteadOfClientHelloEndsOnlyThatConnection()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("garbage", new TlsListenerOptions { Hosts = ["pool.test"] }, TimeSpan.FromSeconds(5));
        await using var host = await StartHostAsync(options);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", host.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n"u8.ToArray());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[256];
            int read;
            do
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            while (read > 0);
        }

        await Eventually.UntilAsync(() => _env.TlsMetrics.HandshakeCount("failure", "unknown") >= 1, TimeSpan.FromSeconds(10), "the failed handshake to be counted");

        // Not TLS, so no handshake either engine began.
        Assert.Equal(0, _env.TlsMetrics.HandshakeEngineCount("openssl") + _env.TlsMetrics.HandshakeEngineCount("stream"));

        await using var client = await TlsTestClient.ConnectAsync(host.Port, "pool.test");
        Assert.Equal("ok", await client.EchoAsync("ok"));
    }

    [Fact]
    public async Task SelfSignedCertificateSurvivesARestart()
    {
        string firstThumbprint;
        using (var factory = _env.NewFactory())
        {
            var options = factory.Create("dev", new TlsListenerOptions { Certificate = CertificateSource.SelfSigned, Hosts = ["dev.pool.test"] }, TimeSpan.FromSeconds(10));
            await using var host = await StartHostAsync(options);
            await using var client = await TlsTestClient.ConnectAsync(host.Port, "dev.pool.test");
            firstThumbprint = client.ServerCertificate.Thumbprint;
        }

        var keyFile = Path.Combine(_env.SelfSigned.DirectoryFor("dev.pool.test"), "key.pem");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        // A new store over the same data directory, as after a process restart.
        var restarted = _env.NewSelfSignedStore();
        using var restartedFactory = new TlsListenerFactory(_env.TlsMetrics, restarted, null, _env.AlpnChallenges, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System);
        var again = restartedFactory.Create("dev", new TlsListenerOptions { Certificate = CertificateSource.SelfSigned, Hosts = ["dev.pool.test"] }, TimeSpan.FromSeconds(10));
        await using var restartedHost = await StartHostAsync(again);
        await using var second = await TlsTestClient.ConnectAsync(restartedHost.Port, "dev.pool.test");

        Assert.Equal(firstThumbprint, second.ServerCertificate.Thumbprint);
    }

    [Fact]
    public async Task FileCertificateIsReloadedForNewHandshakesWhileOpenSessionsContinue()
    {
        var certPath = Path.Combine(_env.DataPath, "chain.pem");
        var keyPath = Path.Combine(_env.DataPath, "key.pem");
        var first = WritePemPair("file.pool.test", certPath, keyPath);
        using var factory = _env.NewFactory(TimeSpan.FromMilliseconds(100));
        var options = factory.Create("file", new TlsListenerOptions { Certificate = CertificateSource.File, Hosts = ["file.pool.test"], CertificatePath = certPath, KeyPath = keyPath }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);
        await using var established = await TlsTestClient.ConnectAsync(host.Port, "file.pool.test");
        Assert.Equal(first, established.ServerCertificate.Thumbprint);

        var second = WritePemPair("file.pool.test", certPath, keyPath);
        Assert.NotEqual(first, second);

        var renewed = await Eventually.UntilAsync(
            async () =>
            {
                await using var probe = await TlsTestClient.ConnectAsync(host.Port, "file.pool.test");
                return probe.ServerCertificate.Thumbprint == second ? probe.ServerCertificate.Thumbprint : null;
            },
            TimeSpan.FromSeconds(15),
            "the rewritten certificate to be served");
        Assert.Equal(second, renewed);
        Assert.Equal("after reload", await established.EchoAsync("after reload"));
        Assert.Equal(first, established.ServerCertificate.Thumbprint);
    }

    [Fact]
    public async Task FileCertificateLoadsFromPkcs12()
    {
        var pfxPath = Path.Combine(_env.DataPath, "pool.pfx");
        using var certificate = Tls.SelfSignedFor("pfx.pool.test");
        await File.WriteAllBytesAsync(pfxPath, certificate.Export(X509ContentType.Pkcs12, "secret"));
        using var factory = _env.NewFactory();
        var options = factory.Create("pfx", new TlsListenerOptions { Certificate = CertificateSource.File, Hosts = ["pfx.pool.test"], CertificatePath = pfxPath, Password = "secret" }, TimeSpan.FromSeconds(10));
        await using var host = await StartHostAsync(options);

        await using var client = await TlsTestClient.ConnectAsync(host.Port, "pfx.pool.test");

        Assert.Equal(certificate.Thumbprint, client.ServerCertificate.Thumbprint);
    }

    [Fact]
    public void MissingCertificateFileIsAConfigurationErrorNamingTheKey()
    {
        using var factory = _env.NewFactory();
        var error = Assert.Throws<ArgumentException>(() => factory.Create("broken", new TlsListenerOptions { Certificate = CertificateSource.File, CertificatePath = "/nonexistent/chain.pem" }, TimeSpan.FromSeconds(10)));
        Assert.Contains("Proxy:Listeners:broken:Tls:CertificatePath", error.Message, StringComparison.Ordinal);
    }

    private static string WritePemPair(string host, string certPath, string keyPath)
    {
        using var certificate = Tls.SelfSignedFor(host);
        using var key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        return certificate.Thumbprint;
    }

    public void Dispose()
    {
        _env.Dispose();
        GC.SuppressFinalize(this);
    }

    private static class Tls
    {
        public static X509Certificate2 SelfSignedFor(string host)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=" + host, key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(host);
            request.CertificateExtensions.Add(san.Build());
            // A random serial makes two certificates for the same host differ.
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
        }
    }
}

/// <summary>The same listener on the proxy's own transport: the handshakes are made on OpenSSL, without <c>SslStream</c>.</summary>
public sealed class TlsListenerOnEventLoopsTests : TlsListenerTests
{
    protected override bool OnEventLoops => true;
}
