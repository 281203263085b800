using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StratumProxy.Acme;
using StratumProxy.Acme.Http;
using StratumProxy.Configuration;
using StratumProxy.FunctionalTests.Tls;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Acme;

/// <summary>Our ACME client against a real pebble on loopback, with pebble rejecting most good nonces.</summary>
public sealed class AcmeIssuanceTests(PebbleFixture pebble) : IClassFixture<PebbleFixture>
{
    private static readonly TimeSpan IssueTimeout = TimeSpan.FromSeconds(90);

    [PebbleFact]
    public async Task TlsAlpn01IssuesAfterServingTheSelfSignedFallbackAndTheChainValidatesForTheHost()
    {
        const string host = "alpn.example.com";
        using var stack = new AcmeTestStack(pebble, AcmeChallengeKind.TlsAlpn01);
        var options = stack.Factory.Create("btc-ssl", new TlsListenerOptions { Certificate = CertificateSource.Acme, Hosts = [host] }, TimeSpan.FromSeconds(10));
        await using var listener = await TlsEchoHost.StartAsync(options, pebble.TlsChallengePort);

        // Before any order: the fallback, so miners are never refused.
        await using var early = await TlsTestClient.ConnectAsync(listener.Port, host);
        Assert.Equal(stack.Environment.SelfSigned.GetOrCreate(host).Thumbprint, early.ServerCertificate.Thumbprint);

        var issued = WhenIssued(stack.Renewal);
        await stack.Renewal.StartAsync(CancellationToken.None);
        var certificate = await issued.WaitAsync(IssueTimeout);

        await using var client = await TlsTestClient.ConnectAsync(listener.Port, host, trustedRoots: pebble.IssuingRoots);
        Assert.True(client.ChainValid, pebble.Log);
        Assert.Equal(certificate.Thumbprint, client.ServerCertificate.Thumbprint);
        Assert.Contains(host, client.ServerCertificate.GetNameInfo(X509NameType.DnsName, false), StringComparison.Ordinal);
        Assert.Equal("mining.subscribe", await client.EchoAsync("mining.subscribe"));
        Assert.Equal("still the fallback session", await early.EchoAsync("still the fallback session"));

        Assert.True(stack.Issuer.Client.BadNonceRetries > 0, "pebble rejects 60% of good nonces: the badNonce path must have run");
        Assert.Equal(1, stack.Metrics.Orders("success"));
        Assert.True(stack.Environment.TlsMetrics.HandshakeCount("acme_challenge", "tls13") + stack.Environment.TlsMetrics.HandshakeCount("acme_challenge", "tls12") >= 1);
        Assert.Equal(certificate.NotAfter.ToUnixTimeSeconds(), stack.Environment.TlsMetrics.Expiry(host));
        AssertOwnerOnly(Path.Combine(stack.Options.StoragePath, AcmeAccountKeyStore.FileName));
        AssertOwnerOnly(Path.Combine(stack.Issuer.Store.DirectoryFor([host]), AcmeCertificateStore.KeyFileName));
        await stack.Renewal.StopAsync(CancellationToken.None);
    }

    [PebbleFact]
    public async Task Http01IssuesThroughTheHttpFrontEnd()
    {
        const string host = "http.example.com";
        using var stack = new AcmeTestStack(pebble, AcmeChallengeKind.Http01);
        var routes = new ConfigurationBuilder().Build().GetSection(HttpFrontend.SectionName);
        await using var frontend = new HttpFrontend($"127.0.0.1:{pebble.HttpChallengePort}", routes, stack.HttpChallenges, NullLoggerFactory.Instance);
        await frontend.StartAsync(CancellationToken.None);
        var options = stack.Factory.Create("btc-ssl", new TlsListenerOptions { Certificate = CertificateSource.Acme, Hosts = [host] }, TimeSpan.FromSeconds(10));

        // On the proxy's own transport: the issued chain (leaf and the CA's intermediate) is served by OpenSSL directly.
        await using var listener = await TlsEchoHost.StartAsync(options, onEventLoops: true);

        var issued = WhenIssued(stack.Renewal);
        await stack.Renewal.StartAsync(CancellationToken.None);
        var certificate = await issued.WaitAsync(IssueTimeout);

        await using var client = await TlsTestClient.ConnectAsync(listener.Port, host, trustedRoots: pebble.IssuingRoots);
        Assert.True(client.ChainValid);
        Assert.Equal(certificate.Thumbprint, client.ServerCertificate.Thumbprint);
        Assert.Equal("issued", await client.EchoAsync("issued"));
        Assert.Equal(1, stack.Environment.TlsMetrics.HandshakeEngineCount("openssl"));
        Assert.Equal(1, stack.Metrics.Orders("success"));
        await stack.Renewal.StopAsync(CancellationToken.None);
        await frontend.StopAsync(CancellationToken.None);
    }

    [PebbleFact]
    public async Task RenewalSwapsTheCertificateForNewHandshakesWhileTheEstablishedSessionContinues()
    {
        const string host = "renew.example.com";
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stack = new AcmeTestStack(pebble, AcmeChallengeKind.TlsAlpn01, clock, new AcmeRenewalTuning { MinimumRenewalInterval = TimeSpan.FromMinutes(1) });
        var options = stack.Factory.Create("btc-ssl", new TlsListenerOptions { Certificate = CertificateSource.Acme, Hosts = [host] }, TimeSpan.FromSeconds(10));

        // On the proxy's own transport: the CA's tls-alpn-01 validations go through the runtime's TLS stream (they
        // need the challenge certificate and ALPN), the miners' handshakes through OpenSSL directly.
        await using var listener = await TlsEchoHost.StartAsync(options, pebble.TlsChallengePort, onEventLoops: true);
        var first = WhenIssued(stack.Renewal);
        await stack.Renewal.StartAsync(CancellationToken.None);
        var firstCertificate = await first.WaitAsync(IssueTimeout);
        Assert.True(firstCertificate.NotAfter - firstCertificate.NotBefore <= TimeSpan.FromSeconds(PebbleFixture.CertificateValiditySeconds + 60), "short-lived certificates");
        await using var established = await TlsTestClient.ConnectAsync(listener.Port, host, trustedRoots: pebble.IssuingRoots);
        Assert.Equal(firstCertificate.Thumbprint, established.ServerCertificate.Thumbprint);

        // Past RenewBefore (20 minutes before expiry) on the renewal clock.
        var second = WhenIssued(stack.Renewal);
        clock.Advance(firstCertificate.NotAfter - TimeSpan.FromMinutes(10) - clock.GetUtcNow());
        var secondCertificate = await second.WaitAsync(IssueTimeout);

        Assert.NotEqual(firstCertificate.Thumbprint, secondCertificate.Thumbprint);
        Assert.Equal("after the swap", await established.EchoAsync("after the swap"));
        await using var renewed = await TlsTestClient.ConnectAsync(listener.Port, host, trustedRoots: pebble.IssuingRoots);
        Assert.True(renewed.ChainValid);
        Assert.Equal(secondCertificate.Thumbprint, renewed.ServerCertificate.Thumbprint);
        Assert.Equal("renewed", await renewed.EchoAsync("renewed"));
        Assert.Equal(2, stack.Environment.TlsMetrics.HandshakeEngineCount("openssl"));
        Assert.True(stack.Environment.TlsMetrics.HandshakeEngineCount("stream") >= 2, "the CA's validations did not go through the TLS stream");
        Assert.Equal(2, stack.Metrics.Orders("success"));
        await stack.Renewal.StopAsync(CancellationToken.None);
    }

    [PebbleFact]
    public async Task StartUpWithAValidStoredCertificateServesItWithoutContactingTheCa()
    {
        const string host = "stored.example.com";
        var environment = new TlsTestEnvironment();
        try
        {
            string storedThumbprint;
            using (var issuing = new AcmeTestStack(pebble, AcmeChallengeKind.TlsAlpn01, environment: environment))
            {
                var responder = issuing.Factory.Create("responder", new TlsListenerOptions { Hosts = ["responder.test"] }, TimeSpan.FromSeconds(10)) with { AcmeChallenges = environment.AlpnChallenges };
                await using var challengeListener = await TlsEchoHost.StartAsync(responder, pebble.TlsChallengePort);
                storedThumbprint = (await issuing.Issuer.IssueAsync([host], CancellationToken.None)).Thumbprint;
            }

            // The CA is now a port that records every connection attempt.
            using var tripwire = new TcpListener(IPAddress.Loopback, 0);
            tripwire.Start();
            var contacted = tripwire.AcceptSocketAsync();
            var closedDirectory = $"https://127.0.0.1:{((IPEndPoint)tripwire.LocalEndpoint).Port}/dir";
            using var restarted = new AcmeTestStack(pebble, AcmeChallengeKind.TlsAlpn01, directoryUrl: closedDirectory, environment: environment);
            var sleeping = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
            restarted.Renewal.Sleeping += until => sleeping.TrySetResult(until);
            var options = restarted.Factory.Create("btc-ssl", new TlsListenerOptions { Certificate = CertificateSource.Acme, Hosts = [host] }, TimeSpan.FromSeconds(10));
            await using var listener = await TlsEchoHost.StartAsync(options);
            await restarted.Renewal.StartAsync(CancellationToken.None);

            var nextWake = await sleeping.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await using var client = await TlsTestClient.ConnectAsync(listener.Port, host, trustedRoots: pebble.IssuingRoots);

            Assert.True(client.ChainValid);
            Assert.Equal(storedThumbprint, client.ServerCertificate.Thumbprint);
            Assert.False(contacted.IsCompleted, "the CA was contacted at start-up");
            // Same metric registry as the first run: its one order, and nothing since.
            Assert.Equal(1, restarted.Metrics.Orders("success"));
            Assert.Equal(0, restarted.Metrics.Orders("failure"));
            Assert.True(nextWake > DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5), $"next CA contact planned at {nextWake:u}");
            await restarted.Renewal.StopAsync(CancellationToken.None);
        }
        finally
        {
            environment.Dispose();
        }
    }

    private static Task<ServerCertificate> WhenIssued(AcmeRenewalService renewal)
    {
        var issued = new TaskCompletionSource<ServerCertificate>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnIssued(string host, ServerCertificate certificate)
        {
            renewal.CertificateIssued -= OnIssued;
            issued.TrySetResult(certificate);
        }

        renewal.CertificateIssued += OnIssued;
        return issued.Task;
    }

    private static void AssertOwnerOnly(string path)
    {
        Assert.True(File.Exists(path), path);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}
