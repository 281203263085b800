using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Management;

/// <summary><c>/api/status</c> reports the certificates the TLS listeners serve and the bundled pool's own figures.</summary>
public sealed class StatusApiTests
{
    private const string TlsHost = "tls.example.test";
    private const string AcmeHost = "acme.example.test";

    [Fact]
    public async Task Each_certificate_is_reported_as_the_handshake_serves_it()
    {
        await using var backend = new RecordingBackend();
        await using var host = await ProxyTestHost.StartAsync(Section(backend.EndPoint, new JsonObject
        {
            ["plain-tls"] = TlsListener(new JsonObject { ["Certificate"] = "SelfSigned", ["Hosts"] = new JsonArray(TlsHost) }),
            ["second-tls"] = TlsListener(new JsonObject { ["Certificate"] = "SelfSigned", ["Hosts"] = new JsonArray(TlsHost) }),
        }));

        var served = await HandshakeAsync(host.Listener("plain-tls"), TlsHost);
        var certificate = (await host.StatusAsync())["certificates"]!.AsArray().Single(c => (string?)c!["host"] == TlsHost)!;

        Assert.Equal(served.Thumbprint, (string?)certificate["thumbprint"]);
        Assert.Equal(new DateTimeOffset(served.NotAfter.ToUniversalTime()), certificate["notAfter"]!.GetValue<DateTimeOffset>());
        Assert.Equal(["plain-tls", "second-tls"], certificate["listeners"]!.AsArray().Select(l => (string?)l).Order());
        Assert.Equal("self-signed", (string?)certificate["configured"]);
        Assert.Equal("self-signed", (string?)certificate["source"]);
        Assert.Equal(served.Issuer, (string?)certificate["issuer"]);
    }

    [Fact]
    public async Task An_acme_host_whose_orders_fail_shows_its_fallback_and_the_error()
    {
        await using var backend = new RecordingBackend();
        // A loopback port nothing listens on: every order fails at once with "connection refused".
        var unreachable = LoopbackEndpoints.ClosedPort();
        var section = Section(backend.EndPoint, new JsonObject
        {
            ["acme-tls"] = TlsListener(new JsonObject { ["Certificate"] = "Acme", ["Hosts"] = new JsonArray(AcmeHost) }),
        });
        section["Acme"] = new JsonObject
        {
            ["DirectoryUrl"] = $"https://127.0.0.1:{unreachable}/dir",
            ["AcceptTermsOfService"] = true,
            ["StoragePath"] = "{dir}/acme",
        };
        await using var host = await ProxyTestHost.StartAsync(section);

        JsonNode? certificate = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            certificate = (await host.StatusAsync())["certificates"]!.AsArray().Single(c => (string?)c!["host"] == AcmeHost);
            if ((int)certificate!["renewalFailures"]! > 0)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)); // poll interval of a bounded wait
        }

        Assert.NotNull(certificate);
        Assert.Equal("acme", (string?)certificate["configured"]);
        Assert.Equal("self-signed", (string?)certificate["source"]);
        Assert.True((int)certificate["renewalFailures"]! >= 1, certificate.ToJsonString());
        Assert.False(string.IsNullOrEmpty((string?)certificate["lastRenewalError"]));
        Assert.True(certificate["renewAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow, "the next order is scheduled after a back-off");
        var served = await HandshakeAsync(host.Listener("acme-tls"), AcmeHost);
        Assert.Equal(served.Thumbprint, (string?)certificate["thumbprint"]);
    }

    [Fact]
    public async Task The_bundled_pool_reports_its_own_figures()
    {
        await using var backend = new RecordingBackend();
        await using var host = await ProxyTestHost.StartAsync(Section(backend.EndPoint, []), poolSection: StatusPageTests.PoolSection());

        JsonNode? pool = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            pool = (await host.StatusAsync())["pools"]!.AsArray().SingleOrDefault();
            if (pool is not null && (bool)pool["daemonConnected"]!)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)); // poll interval of a bounded wait
        }

        var own = await host.PoolInfoAsync();
        Assert.NotNull(pool);
        Assert.True((bool)pool["daemonConnected"]!, pool.ToJsonString());
        Assert.Equal(own.Id, (string?)pool["id"]);
        Assert.Equal("Devnet", (string?)pool["network"]);
        Assert.Equal(own.NetworkStats.BlockHeight, (long)pool["blockHeight"]!);
        Assert.Equal(own.NetworkStats.NetworkDifficulty, (double)pool["networkDifficulty"]!);
        Assert.Equal(own.TotalBlocks, (long)pool["totalBlocks"]!);
    }

    [Fact]
    public async Task Pool_apis_the_operator_lists_are_read_and_one_that_does_not_answer_shows_its_error()
    {
        // A pool node of its own (the bundled pool on its devnet) whose Miningcore-shaped API the proxy reads.
        await using var poolBackend = new RecordingBackend();
        await using var poolNode = await ProxyTestHost.StartAsync(Section(poolBackend.EndPoint, []), poolSection: StatusPageTests.PoolSection());
        var api = $"http://{poolNode.PoolApiEndPoint}/api/pools";
        var dead = $"http://127.0.0.1:{LoopbackEndpoints.ClosedPort()}/api/pools";

        // The proxy keeps what it read for a few seconds: read once the node has its first job, so the figures
        // compared below no longer change.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while ((await poolNode.PoolInfoAsync()).NetworkStats.NetworkDifficulty <= 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the pool node never got its first job");
            await Task.Delay(20);
        }

        await using var backend = new RecordingBackend();
        var section = Section(backend.EndPoint, []);
        section["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["PoolApis"] = new JsonArray(api, dead) };
        await using var host = await ProxyTestHost.StartAsync(section);

        var pools = (await host.StatusAsync())["pools"]!.AsArray();
        var own = await poolNode.PoolInfoAsync();
        var read = pools.Single(p => (string?)p!["source"] == api)!;
        Assert.Equal(own.Id, (string?)read["id"]);
        Assert.Equal("BTC", (string?)read["coin"]);
        Assert.Equal(own.NetworkStats.BlockHeight, (long)read["blockHeight"]!);
        Assert.Equal(own.NetworkStats.NetworkDifficulty, (double)read["networkDifficulty"]!);
        Assert.Null(read["error"]);
        var failed = pools.Single(p => (string?)p!["source"] == dead)!;
        Assert.False(string.IsNullOrEmpty((string?)failed["error"]));
        Assert.False((bool)failed["daemonConnected"]!);
    }

    [Fact]
    public async Task A_pool_api_that_is_not_a_url_fails_start_up_naming_the_key()
    {
        await using var backend = new RecordingBackend();
        var section = Section(backend.EndPoint, []);
        section["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["PoolApis"] = new JsonArray("pool-node:4000/api/pools") };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ProxyTestHost.StartAsync(section));

        Assert.Contains("Proxy:Management:PoolApis:0", error.Message, StringComparison.Ordinal);
    }

    private static JsonObject TlsListener(JsonObject tls) => new()
    {
        ["Endpoint"] = "127.0.0.1:0",
        ["Cluster"] = "pool",
        ["Tls"] = tls,
    };

    private static JsonObject Section(IPEndPoint backend, JsonObject listeners)
    {
        listeners["plain"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Cluster"] = "pool" };
        return new JsonObject
        {
            ["Listeners"] = listeners,
            ["Clusters"] = new JsonObject
            {
                ["pool"] = new JsonObject
                {
                    ["Destinations"] = new JsonObject { ["node"] = new JsonObject { ["Address"] = backend.ToString() } },
                },
            },
        };
    }

    private static async Task<X509Certificate2> HandshakeAsync(IPEndPoint endPoint, string host)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endPoint);
        await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, timeout.Token);
        return new X509Certificate2(tls.RemoteCertificate!);
    }

}
