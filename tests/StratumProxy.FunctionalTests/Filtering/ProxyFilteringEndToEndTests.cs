using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using StratumProxy.Filtering;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>
/// Bans and the geo filter in the real proxy: miners on loopback present public addresses with PROXY headers read by
/// the proxy's own PROXY middleware, sessions are forwarded to a Stratum backend, bans are listed and lifted over HTTP.
/// </summary>
public sealed class ProxyFilteringEndToEndTests : IDisposable
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("proxy-filtering-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Malformed_lines_ban_an_address_which_the_api_lists_and_lifts()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyWithBanning(backend, new JsonObject { ["Enabled"] = true, ["MalformedLinesBeforeBan"] = 2, ["BanTime"] = "01:00:00" });
        await using var proxy = await FilteringProxyHost.StartAsync(config, _directory.FullName);
        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };
        var listener = proxy.Listener("main");

        for (var i = 0; i < 2; i++)
        {
            await using var miner = await TestMiner.ConnectAsync(listener, ProxyHeader("198.51.100.40"));
            await miner.SendAsync("this is not json");
            Assert.True(await miner.WaitForCloseAsync(CloseTimeout), $"malformed line {i + 1} closes its session");
        }

        Assert.True(await IsRefusedAsync(listener, "198.51.100.40"), "a banned address is refused at accept time");

        Assert.Equal(1, proxy.Rejected("main", RejectionReasons.Banned));
        await using (var bystander = await TestMiner.ConnectAsync(listener, ProxyHeader("198.51.100.41")))
        {
            Assert.Contains("\"result\"", await SubscribeAsync(bystander), StringComparison.Ordinal);
        }

        var listed = await http.GetFromJsonAsync<JsonArray>("api/bans");
        var ban = Assert.Single(listed!);
        Assert.Equal("198.51.100.40", ban!["address"]!.GetValue<string>());
        Assert.Equal(BanReasons.MalformedLines, ban["reason"]!.GetValue<string>());
        await ((FileBanStore)proxy.Services.GetRequiredService<IBanStore>()).FlushAsync();
        Assert.Contains("198.51.100.40", await File.ReadAllTextAsync(Path.Combine(_directory.FullName, "data", FileBanStore.FileName)), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await http.DeleteAsync("api/bans/not-an-address")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/bans/198.51.100.40")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync("api/bans/198.51.100.40")).StatusCode);
        Assert.Empty((await http.GetFromJsonAsync<JsonArray>("api/bans"))!);

        await using var lifted = await TestMiner.ConnectAsync(listener, ProxyHeader("198.51.100.40"));
        Assert.Contains("\"result\"", await SubscribeAsync(lifted), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_shares_over_the_threshold_ban_the_address_and_the_ban_survives_a_restart()
    {
        await using var backend = new RecordingBackend(acceptSubmit: _ => false);
        var config = ProxyWithBanning(backend, new JsonObject { ["Enabled"] = true, ["CheckThreshold"] = 4, ["InvalidPercent"] = 50 });

        await using (var proxy = await FilteringProxyHost.StartAsync(config.DeepClone().AsObject(), _directory.FullName))
        {
            await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"), ProxyHeader("203.0.113.50"));
            await SubscribeAsync(miner);
            for (var i = 0; i < 3; i++)
            {
                await miner.SendAsync(Submit(10 + i));
                Assert.Contains("Low difficulty", await miner.ReadLineAsync(), StringComparison.Ordinal);
            }

            await miner.SendAsync(Submit(13));
            Assert.True(await miner.WaitForCloseAsync(CloseTimeout), "the fourth rejected share bans and closes the session");

            var ban = Assert.Single(proxy.Services.GetRequiredService<BanPolicy>().List());
            Assert.Equal(IPAddress.Parse("203.0.113.50"), ban.Address);
            Assert.Equal(BanReasons.InvalidShares, ban.Reason);
        }

        await using (var restarted = await FilteringProxyHost.StartAsync(config.DeepClone().AsObject(), _directory.FullName))
        {
            Assert.True(await IsRefusedAsync(restarted.Listener("main"), "203.0.113.50"), "the ban was read back from the data directory");
            Assert.Equal(1, restarted.Rejected("main", RejectionReasons.Banned));
        }
    }

    [Fact]
    public async Task Exactly_the_invalid_percent_keeps_the_session()
    {
        await using var backend = new RecordingBackend(acceptSubmit: n => n % 2 == 0);
        var config = ProxyWithBanning(backend, new JsonObject { ["Enabled"] = true, ["CheckThreshold"] = 4, ["InvalidPercent"] = 50 });
        await using var proxy = await FilteringProxyHost.StartAsync(config, _directory.FullName);

        await using var miner = await TestMiner.ConnectAsync(proxy.Listener("main"), ProxyHeader("203.0.113.51"));
        await SubscribeAsync(miner);
        for (var i = 0; i < 4; i++)
        {
            await miner.SendAsync(Submit(10 + i));
            Assert.NotNull(await miner.ReadLineAsync());
        }

        Assert.Contains("\"result\"", await SubscribeAsync(miner), StringComparison.Ordinal);
        Assert.Empty(proxy.Services.GetRequiredService<BanPolicy>().List());
    }

    [Fact]
    public async Task Lifting_a_ban_needs_the_management_token_when_one_is_set_and_takes_IPv6_addresses()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyWithBanning(backend, new JsonObject { ["Enabled"] = true });
        config["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Token"] = "test-token" };
        await using var proxy = await FilteringProxyHost.StartAsync(config, _directory.FullName);
        var bans = proxy.Services.GetRequiredService<BanPolicy>();
        bans.Ban(IPAddress.Parse("2001:db8::7"), "operator", TimeSpan.FromHours(1));
        using var http = new HttpClient { BaseAddress = proxy.ManagementUri };

        var listed = await http.GetFromJsonAsync<JsonArray>("api/bans");
        Assert.Equal("2001:db8::7", Assert.Single(listed!)!["address"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.DeleteAsync("api/bans/2001:db8::7")).StatusCode);
        Assert.True(bans.IsBanned(IPAddress.Parse("2001:db8::7"), out _));

        using var authorized = new HttpRequestMessage(HttpMethod.Delete, "api/bans/2001:db8::7");
        authorized.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "test-token");
        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(authorized)).StatusCode);
        Assert.False(bans.IsBanned(IPAddress.Parse("2001:db8::7"), out _));
    }

    [RealCountryDatabaseFact]
    public async Task Geo_filter_refuses_a_denied_country_before_any_byte_reaches_the_pool()
    {
        await using var backend = new RecordingBackend();
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["AcceptProxyProtocol"] = true;
        config["Listeners"]!["main"]!["Geo"] = new JsonObject { ["DenyCountries"] = new JsonArray("US") };
        config["Geo"] = new JsonObject { ["Database"] = RealCountryDatabase.Path };
        await using var proxy = await FilteringProxyHost.StartAsync(config, _directory.FullName);

        Assert.True(await IsRefusedAsync(proxy.Listener("main"), "8.8.8.8", "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}"));

        Assert.Equal(1, proxy.Rejected("main", RejectionReasons.Geo));
        Assert.Empty(backend.Connections);

        await using var other = await TestMiner.ConnectAsync(proxy.Listener("main"), ProxyHeader("1.1.1.1"));
        Assert.Contains("\"result\"", await SubscribeAsync(other), StringComparison.Ordinal);
    }

    private static JsonObject ProxyWithBanning(RecordingBackend backend, JsonObject banning)
    {
        var config = ProxyTestHost.SingleListener(backend.EndPoint);
        config["Listeners"]!["main"]!["AcceptProxyProtocol"] = true;
        config["Banning"] = banning;
        return config;
    }

    /// <summary>
    /// True when the proxy closes a connection presenting <paramref name="source"/> (after <paramref name="line"/>, if
    /// given). Under load the proxy's reset can beat the client's own connect completion, so a failed connect or write
    /// counts as closed too.
    /// </summary>
    private static async Task<bool> IsRefusedAsync(IPEndPoint listener, string source, string? line = null)
    {
        try
        {
            await using var miner = await TestMiner.ConnectAsync(listener, ProxyHeader(source));
            if (line is not null)
            {
                await miner.SendAsync(line);
            }

            return await miner.WaitForCloseAsync(CloseTimeout);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
        {
            return true;
        }
    }

    private static byte[] ProxyHeader(string source) => Encoding.ASCII.GetBytes($"PROXY TCP4 {source} 192.0.2.1 51000 3333\r\n");

    private static string Submit(int id) =>
        $"{{\"id\":{id},\"method\":\"mining.submit\",\"params\":[\"worker.1\",\"job1\",\"00000000\",\"5f000000\",\"00000000\"]}}";

    private static async Task<string> SubscribeAsync(TestMiner miner)
    {
        await miner.SendAsync("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"test/1.0\"]}");
        return await miner.ReadLineAsync() ?? throw new InvalidOperationException("The connection closed instead of answering.");
    }
}
