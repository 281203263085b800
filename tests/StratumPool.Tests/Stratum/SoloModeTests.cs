using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.Stratum;

/// <summary>Solo mode: the username is the payout address, checked for the network.</summary>
public sealed class SoloModeTests : IAsyncLifetime
{
    private readonly ScriptedJobManager _jobs = new();
    private PoolServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await PoolServer.StartAsync(
            new Dictionary<string, string?> { ["Pool:PaymentMode"] = "Solo", ["Pool:Network"] = "Devnet" },
            s => s.AddSingleton<IJobManager>(_jobs));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Username_that_is_not_an_address_is_refused_with_24()
    {
        await using var client = await StratumLineClient.ConnectAsync(_server.StratumEndPoint);
        await client.SendAsync(1, "mining.subscribe", "bitaxe");
        await client.ReadReplyAsync();
        await client.SendAsync(2, "mining.authorize", "notanaddress.rig", "x");
        var reply = await client.ReadReplyAsync();

        Assert.False(reply.GetProperty("result").GetBoolean());
        Assert.Equal(24, reply.GetProperty("error")[0].GetInt32());
    }

    [Fact]
    public async Task Address_username_becomes_the_payout_of_the_session()
    {
        var address = ChainNetworkParameters.DevnetAddress;
        await using var client = await StratumLineClient.ConnectAsync(_server.StratumEndPoint);
        await client.SendAsync(1, "mining.subscribe", "bitaxe");
        await client.ReadReplyAsync();
        await client.SendAsync(2, "mining.authorize", address + ".bitaxe", "x");
        Assert.True((await client.ReadReplyAsync()).GetProperty("result").GetBoolean());
        var notify = await client.ReadNotificationAsync("mining.notify");
        Assert.EndsWith("11", notify.GetProperty("params")[2].GetString(), StringComparison.Ordinal);

        await client.SendAsync(4, "mining.submit", address + ".bitaxe", "1", "00000001", "5f5e1000", "00000001");
        Assert.True((await client.ReadReplyAsync()).GetProperty("result").GetBoolean());
        var submission = Assert.Single(_jobs.Submissions);
        Assert.Equal(address, submission.Payout?.Address);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.ApiEndPoint.Port}") };
        var miner = await http.GetFromJsonAsync<JsonElement>($"/api/pools/btc/miners/{address}");
        Assert.Equal(1, miner.GetProperty("pendingShares").GetInt64());
        Assert.True(miner.GetProperty("performance").GetProperty("workers").TryGetProperty("bitaxe", out _));

        var missing = await http.GetAsync(new Uri("/api/pools/ltc", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }
}
