using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Stratum;

/// <summary>A miner's Stratum session end to end through the real proxy's TLS port.</summary>
public sealed class TlsStratumTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["bitaxe/2.4"]}""";

    /// <summary>One TLS listener with a self-signed certificate for pool.test, forwarding to <paramref name="backend"/>.</summary>
    internal static JsonObject TlsListener(RecordingBackend backend)
    {
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["Tls"] = new JsonObject
        {
            ["Certificate"] = "SelfSigned",
            ["Hosts"] = new JsonArray("pool.test"),
        };
        return config;
    }

    [Fact]
    public async Task A_miner_subscribes_and_submits_through_the_tls_port()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsListener(backend));
        var endPoint = proxy.Listener("main");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "pool.test" }, timeout.Token);
        Assert.Contains("pool.test", tls.RemoteCertificate!.Subject, StringComparison.Ordinal);

        var reader = new StreamReader(tls, Encoding.UTF8);
        await tls.WriteAsync(Encoding.UTF8.GetBytes(Subscribe + "\n"), timeout.Token);
        var reply = await reader.ReadLineAsync(timeout.Token);
        Assert.Contains("\"08000002\"", reply, StringComparison.Ordinal);

        await tls.WriteAsync(Encoding.UTF8.GetBytes("""{"id":4,"method":"mining.submit","params":["w","j","00000000","5f5e1000","00000001"]}""" + "\n"), timeout.Token);
        Assert.Contains("\"result\":true", await reader.ReadLineAsync(timeout.Token), StringComparison.Ordinal);

        // The pool saw plain Stratum lines, not TLS records.
        var connection = await backend.WaitForConnectionAsync();
        Assert.StartsWith(Subscribe, Encoding.UTF8.GetString(connection.Received), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_1_1_is_refused_on_the_stratum_port()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsListener(backend));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(proxy.Listener("main"));
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
#pragma warning disable SYSLIB0039 // TLS 1.1 is asked for on purpose: the proxy must refuse it.
        var options = new SslClientAuthenticationOptions { TargetHost = "pool.test", EnabledSslProtocols = SslProtocols.Tls11 };
#pragma warning restore SYSLIB0039
        await Assert.ThrowsAnyAsync<Exception>(() => tls.AuthenticateAsClientAsync(options, timeout.Token));
        Assert.Empty(backend.Connections);
    }

    [Fact]
    public async Task Openssl_s_client_speaks_stratum_through_the_tls_port()
    {
        await using var backend = new RecordingBackend();
        await using var proxy = await ProxyTestHost.StartAsync(TlsListener(backend));
        var endPoint = proxy.Listener("main");
        var start = new ProcessStartInfo("openssl", ["s_client", "-connect", $"127.0.0.1:{endPoint.Port}", "-servername", "pool.test", "-quiet", "-tls1_2"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        try
        {
            await process.StandardInput.WriteLineAsync(Subscribe);
            await process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var reply = await process.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.Contains("\"08000002\"", reply, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
