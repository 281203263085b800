using System.Diagnostics;
using StratumProxy.Configuration;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary><c>openssl s_client</c> (through scripts/tls-check.sh) against a TLS listener with an echo handler.</summary>
public class OpensslClientTests : IDisposable
{
    /// <summary>True where the proxy's own transport carries the connections and the handshakes are made on OpenSSL.</summary>
    protected virtual bool OnEventLoops => false;

    private const string Host = "ssl.pool.test";
    private readonly TlsTestEnvironment _env = new();

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task StratumLineGoesThroughAndTheCertificateVerifiesForTheSni(string protocol)
    {
        await using var host = await StartAsync();
        var ca = ExportServedCertificate();

        var (exitCode, output, error) = await RunScriptAsync(host.Port, Host, ca, protocol);

        Assert.True(exitCode == 0, $"tls-check.sh exited with {exitCode}: {error}");
        Assert.Equal("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"tls-check/1.0\"]}", output.Trim());
    }

    [Fact]
    public async Task Tls11IsRefused()
    {
        await using var host = await StartAsync();

        // SECLEVEL=0 lets openssl itself offer TLS 1.1, so the refusal is the server's.
        var (exitCode, output, _) = await RunScriptAsync(host.Port, Host, "-", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");

        Assert.NotEqual(0, exitCode);
        Assert.Equal(string.Empty, output.Trim());
        await Eventually.UntilAsync(() => _env.TlsMetrics.HandshakeCount("failure", "unknown") >= 1, TimeSpan.FromSeconds(10), "the refused handshake to be counted");
    }

    [Fact]
    public async Task WrongNameFailsVerification()
    {
        await using var host = await StartAsync();
        var ca = ExportServedCertificate();

        var (exitCode, _, _) = await RunScriptAsync(host.Port, "other.pool.test", ca, "-tls1_3");

        Assert.NotEqual(0, exitCode);
    }

    private async Task<TlsEchoHost> StartAsync()
    {
        var factory = _env.NewFactory();
        var options = factory.Create("ssl", new TlsListenerOptions { Certificate = CertificateSource.SelfSigned, Hosts = [Host] }, TimeSpan.FromSeconds(10));
        return await TlsEchoHost.StartAsync(options, onEventLoops: OnEventLoops);
    }

    private string ExportServedCertificate()
    {
        var path = Path.Combine(_env.DataPath, "served.pem");
        File.WriteAllText(path, _env.SelfSigned.GetOrCreate(Host).Leaf.ExportCertificatePem());
        return path;
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunScriptAsync(int port, string sni, string ca, params string[] extra)
    {
        var script = Path.Combine(Acme.PebbleAvailability.RepositoryRoot, "scripts", "tls-check.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { script, "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), sni, ca }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["TLS_CHECK_TIMEOUT"] = "10";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    public void Dispose()
    {
        _env.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The same with the handshakes made on OpenSSL by the proxy's own transport.</summary>
public sealed class OpensslClientOnEventLoopsTests : OpensslClientTests
{
    protected override bool OnEventLoops => true;
}
