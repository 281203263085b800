using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using StratumPool.Devnet;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.EndToEnd;

/// <summary>
/// The whole pool on the built-in devnet: our CPU miner connects over loopback, its shares are accepted, one of them
/// is a block that the devnet accepts, and the block and shares show up in SQLite and the HTTP API.
/// </summary>
public sealed class DevnetMiningTests
{
    [Fact]
    public async Task Cpu_miner_finds_a_block_on_the_devnet()
    {
        await using var server = await PoolServer.StartAsync(new Dictionary<string, string?>
        {
            ["Pool:Network"] = "Devnet",
            ["Pool:Devnet:Difficulty"] = "0.0005",
            ["Pool:Devnet:Endpoint"] = "127.0.0.1:0",
            ["Pool:Difficulty:Initial"] = "0.000005",
            ["Pool:Difficulty:VarDiff:MinDiff"] = "0.000001",
            ["Pool:Difficulty:VarDiff:TargetTime"] = "1",
            ["Pool:Difficulty:VarDiff:RetargetTime"] = "3600",
            ["Pool:BlockConfirmations"] = "1",
            ["Pool:BlockConfirmationInterval"] = "00:00:01",
        });
        var devnet = server.Get<DevnetServer>();
        var startHeight = devnet.Chain.Tip.Height;

        await using var miner = await CpuStratumMiner.ConnectAsync(server.StratumEndPoint, "e2eminer.rig1");
        Assert.Equal(0.000005, miner.Difficulty);

        var accepted = 0;
        CpuStratumMiner.Found? block = null;
        uint extraNonce2 = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);

        // A share is a block one time in a hundred here, so a block comes with accepted shares below the block target.
        // Bounded: at most 1 500 shares / 3 minutes / 150M hashes.
        // Mining goes on after the block until a second share was accepted: the first share is the block one time in a hundred.
        for (var i = 0; i < 1500 && (block is null || accepted < 2) && DateTime.UtcNow < deadline; i++)
        {
            var found = miner.Mine(ref extraNonce2, 100_000);
            if (found is null)
            {
                continue;
            }

            var reply = await miner.SubmitAsync(found);
            if (reply.GetProperty("result").ValueKind == JsonValueKind.True)
            {
                accepted++;
                if (found.IsBlock && block is null)
                {
                    block = found;
                }
            }
            else
            {
                // A share on a job replaced by a new block may be stale; nothing else is acceptable.
                Assert.Equal(21, reply.GetProperty("error")[0].GetInt32());
            }
        }

        Assert.NotNull(block);
        Assert.True(accepted > 1, "shares below the block target should have been accepted too");

        // The devnet accepted it: its chain grew and holds our block.
        await WaitUntilAsync(() => devnet.Chain.Tip.Height > startHeight);

        // Recorded in SQLite and visible in the API.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.ApiEndPoint.Port}") };
        JsonElement blocks = default;
        await WaitUntilAsync(async () =>
        {
            blocks = await http.GetFromJsonAsync<JsonElement>("/api/pools/btc/blocks");
            return blocks.GetArrayLength() > 0;
        });
        var recorded = blocks.EnumerateArray().Single(b => b.GetProperty("hash").GetString() == block.BlockHash);
        Assert.Equal("e2eminer", recorded.GetProperty("miner").GetString());
        Assert.Equal("rig1", recorded.GetProperty("worker").GetString());
        Assert.True(recorded.GetProperty("reward").GetDecimal() > 0);

        // With one confirmation required, the watcher confirms it through getblockhash.
        await WaitUntilAsync(async () =>
        {
            var list = await http.GetFromJsonAsync<JsonElement>("/api/pools/btc/blocks");
            return list.EnumerateArray().Any(b => b.GetProperty("hash").GetString() == block.BlockHash && b.GetProperty("status").GetString() == "confirmed");
        });

        var pool = (await http.GetFromJsonAsync<JsonElement>("/api/pools")).GetProperty("pools")[0];
        Assert.Equal("btc", pool.GetProperty("id").GetString());
        Assert.Equal(1, pool.GetProperty("poolStats").GetProperty("connectedMiners").GetInt32());
        Assert.True(pool.GetProperty("poolStats").GetProperty("poolHashrate").GetDouble() > 0);
        Assert.True(pool.GetProperty("networkStats").GetProperty("blockHeight").GetInt64() >= startHeight);
        Assert.True(pool.GetProperty("totalBlocks").GetInt64() >= 1);

        var minerStats = await http.GetFromJsonAsync<JsonElement>("/api/pools/btc/miners/e2eminer");
        Assert.Equal(accepted, minerStats.GetProperty("pendingShares").GetInt64());
        Assert.True(minerStats.GetProperty("performance").GetProperty("workers").GetProperty("rig1").GetProperty("hashrate").GetDouble() > 0);

        await using var connection = new SqliteConnection($"Data Source={server.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MIN(difficulty), MIN(ip) FROM shares WHERE worker = 'e2eminer.rig1';";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(accepted, reader.GetInt64(0));
        Assert.Equal(0.000005, reader.GetDouble(1), 12);
        Assert.Equal("127.0.0.1", reader.GetString(2));
    }

    [Fact]
    public async Task Vardiff_never_raises_a_fast_miner_past_the_network_difficulty()
    {
        await using var server = await PoolServer.StartAsync(new Dictionary<string, string?>
        {
            ["Pool:Network"] = "Devnet",
            ["Pool:Devnet:Difficulty"] = "0.00004",
            ["Pool:Devnet:Endpoint"] = "127.0.0.1:0",
            ["Pool:Difficulty:Initial"] = "0.000005",
            ["Pool:Difficulty:VarDiff:MinDiff"] = "0.000001",
            ["Pool:Difficulty:VarDiff:MaxDiff"] = "1000",
            ["Pool:Difficulty:VarDiff:TargetTime"] = "30",
            ["Pool:Difficulty:VarDiff:RetargetTime"] = "1",
        });
        var jobs = server.Get<StratumPool.Jobs.IJobManager>();
        await using var miner = await CpuStratumMiner.ConnectAsync(server.StratumEndPoint, "fastminer.rig1");
        var initial = miner.Difficulty;

        // Shares every few milliseconds against a 30 s target: vardiff wants thousands of times the difficulty.
        // Bounded: at most 400 shares / 2 minutes.
        uint extraNonce2 = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        for (var i = 0; i < 400 && miner.Difficulty == initial && DateTime.UtcNow < deadline; i++)
        {
            if (miner.Mine(ref extraNonce2, 100_000) is { } found)
            {
                await miner.SubmitAsync(found);
            }
        }

        Assert.NotEqual(initial, miner.Difficulty);
        var network = jobs.CurrentJob!.NetworkDifficulty;
        Assert.True(miner.Difficulty <= network * 1.000001, $"share difficulty {miner.Difficulty} above the network's {network}");
        Assert.Equal(network, miner.Difficulty, 9);
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(50);
        }
    }
}
