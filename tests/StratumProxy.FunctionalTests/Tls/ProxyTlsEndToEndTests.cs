using System.Text;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>The real proxy host with <c>AddStratumTls</c>: a miner's Stratum session through the TLS port.</summary>
public sealed class ProxyTlsEndToEndTests
{
    private const string Subscribe = """{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}""";

    [Fact]
    public async Task StratumSessionWorksThroughTheTlsListener()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["Tls"] = new JsonObject
        {
            ["Certificate"] = "SelfSigned",
            ["Hosts"] = new JsonArray("pool.example.com"),
            ["Protocols"] = new JsonArray("Tls12", "Tls13"),
        };
        await using var proxy = await ProxyTestHost.StartAsync(config);

        await using var miner = await TlsTestClient.ConnectAsync(proxy.Listener("main").Port, "pool.example.com");
        Assert.Equal("CN=pool.example.com", miner.ServerCertificate.Subject);
        await miner.Ssl.WriteAsync(Encoding.UTF8.GetBytes(Subscribe + "\n"));
        using var reader = new StreamReader(miner.Ssl, Encoding.UTF8, leaveOpen: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reply = await reader.ReadLineAsync(timeout.Token);

        Assert.NotNull(reply);
        Assert.Contains("\"id\":1", reply, StringComparison.Ordinal);
        var connection = await backend.WaitForConnectionAsync();
        var received = await connection.WaitForBytesAsync(Subscribe.Length + 1);
        Assert.Equal(Subscribe + "\n", Encoding.UTF8.GetString(received));
        Assert.True(proxy.Get<TlsMetrics>().HandshakeCount("success", TlsMetrics.ProtocolLabel(miner.Ssl.SslProtocol)) >= 1);
    }
}
