using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Management;

/// <summary>An operator takes a pool node out of rotation through the management API and puts it back.</summary>
public sealed class DestinationDrainTests
{
    private const int Miners = 4;

    [Fact]
    public async Task A_drained_node_gets_no_new_miners_its_miners_move_when_asked_and_ready_brings_it_back()
    {
        await using var nodeA = new RecordingBackend();
        await using var nodeB = new RecordingBackend();
        await using var host = await ProxyTestHost.StartAsync(Section(nodeA.EndPoint, nodeB.EndPoint));
        using var http = new HttpClient { BaseAddress = host.ManagementUri, Timeout = TimeSpan.FromSeconds(10) };

        var first = await ConnectMinersAsync(host, "first");
        Assert.Equal(Miners / 2, nodeA.Connections.Count);
        Assert.Equal(Miners / 2, nodeB.Connections.Count);

        // Drain without closing: open sessions go on, new ones avoid node A.
        var drained = await PostAsync(http, "/api/clusters/pool/destinations/a/drain");
        Assert.True((bool)drained["heldByOperator"]!);
        Assert.True((bool)drained["changed"]!);
        Assert.Equal(0, (int)drained["closedSessions"]!);
        Assert.Equal(Miners / 2, (int)drained["activeSessions"]!);
        var status = JsonNode.Parse(await http.GetStringAsync("/api/status"))!;
        var a = status["clusters"]![0]!["destinations"]!.AsArray().Single(d => (string?)d!["name"] == "a")!;
        Assert.True((bool)a["heldByOperator"]!);
        Assert.False((bool)a["available"]!);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("stratum_proxy_destination_drained{cluster=\"pool\",destination=\"a\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_destination_healthy{cluster=\"pool\",destination=\"a\"} 1", metrics, StringComparison.Ordinal);
        foreach (var miner in first)
        {
            await miner.SendAsync("""{"id":9,"method":"mining.authorize","params":["w.1","x"]}""");
            Assert.NotNull(await miner.ReadLineAsync());
        }

        var second = await ConnectMinersAsync(host, "second");
        Assert.Equal(Miners / 2, nodeA.Connections.Count);
        Assert.Equal(Miners + (Miners / 2), nodeB.Connections.Count);

        // Drain again asking to close: node A's miners are disconnected, node B's are not.
        var closing = await PostAsync(http, "/api/clusters/pool/destinations/a/drain?closeSessions=true");
        Assert.False((bool)closing["changed"]!);
        Assert.Equal(Miners / 2, (int)closing["closedSessions"]!);
        var closed = 0;
        foreach (var miner in first)
        {
            if (await miner.WaitForCloseAsync(TimeSpan.FromMilliseconds(500)))
            {
                closed++;
            }
        }

        Assert.Equal(Miners / 2, closed);
        foreach (var miner in second)
        {
            await miner.SendAsync("""{"id":9,"method":"mining.authorize","params":["w.1","x"]}""");
            Assert.NotNull(await miner.ReadLineAsync());
        }

        // Back in rotation: new miners reach node A again.
        var ready = await PostAsync(http, "/api/clusters/pool/destinations/a/ready");
        Assert.False((bool)ready["heldByOperator"]!);
        Assert.True((bool)ready["changed"]!);
        Assert.Contains("stratum_proxy_destination_drained{cluster=\"pool\",destination=\"a\"} 0", await http.GetStringAsync("/metrics"), StringComparison.Ordinal);
        var third = await ConnectMinersAsync(host, "third");
        Assert.True(nodeA.Connections.Count > Miners / 2, $"node A got {nodeA.Connections.Count - (Miners / 2)} of the miners after ready");

        foreach (var miner in first.Concat(second).Concat(third))
        {
            await miner.DisposeAsync();
        }
    }

    [Fact]
    public async Task Draining_needs_the_token_when_one_is_configured_and_unknown_names_are_404()
    {
        await using var nodeA = new RecordingBackend();
        await using var nodeB = new RecordingBackend();
        var section = Section(nodeA.EndPoint, nodeB.EndPoint);
        section["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Token"] = "s3cret-token" };
        await using var host = await ProxyTestHost.StartAsync(section);
        using var http = new HttpClient { BaseAddress = host.ManagementUri, Timeout = TimeSpan.FromSeconds(10) };

        using var refused = await http.PostAsync("/api/clusters/pool/destinations/a/drain", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/clusters/pool/destinations/a/drain");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-tokem");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(wrong)).StatusCode);
        var status = JsonNode.Parse(await http.GetStringAsync("/api/status"))!;
        Assert.All(status["clusters"]![0]!["destinations"]!.AsArray(), d => Assert.False((bool)d!["heldByOperator"]!));

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");
        using var accepted = await http.PostAsync("/api/clusters/pool/destinations/a/drain", null);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        using var noCluster = await http.PostAsync("/api/clusters/nope/destinations/a/drain", null);
        Assert.Equal(HttpStatusCode.NotFound, noCluster.StatusCode);
        using var noDestination = await http.PostAsync("/api/clusters/pool/destinations/nope/ready", null);
        Assert.Equal(HttpStatusCode.NotFound, noDestination.StatusCode);
    }

    private static async Task<List<TestMiner>> ConnectMinersAsync(ProxyTestHost host, string name)
    {
        var miners = new List<TestMiner>();
        for (var i = 0; i < Miners; i++)
        {
            var miner = await TestMiner.ConnectAsync(host.Listener("main"));
            await miner.SendAsync($$"""{"id":1,"method":"mining.subscribe","params":["{{name}}-{{i}}"]}""");
            Assert.NotNull(await miner.ReadLineAsync());
            miners.Add(miner);
        }

        return miners;
    }

    private static async Task<JsonNode> PostAsync(HttpClient http, string path)
    {
        using var response = await http.PostAsync(path, new StringContent("", Encoding.UTF8));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static JsonObject Section(IPEndPoint a, IPEndPoint b) => new()
    {
        ["Listeners"] = new JsonObject { ["main"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Cluster"] = "pool" } },
        ["Clusters"] = new JsonObject
        {
            ["pool"] = new JsonObject
            {
                ["LoadBalancingPolicy"] = "RoundRobin",
                ["Destinations"] = new JsonObject
                {
                    ["a"] = new JsonObject { ["Address"] = a.ToString() },
                    ["b"] = new JsonObject { ["Address"] = b.ToString() },
                },
            },
        },
    };
}
