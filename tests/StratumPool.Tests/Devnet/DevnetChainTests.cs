using System.Text.Json;
using NBitcoin;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Devnet;
using StratumPool.Jobs;

namespace StratumPool.Tests.Devnet;

/// <summary>The devnet over HTTP: its RPC surface and its block validation.</summary>
public sealed class DevnetChainTests
{
    private const double EasyDifficulty = 1e-6;

    private static readonly PayoutTarget Payout = ChainNetworkParameters.For(ChainNetwork.Devnet).ParsePayout(ChainNetworkParameters.DevnetAddress);

    [Fact]
    public async Task AcceptsAGoodBlockAndAdvancesItsTip()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var before = await devnet.Client.GetBestBlockHashAsync(CancellationToken.None);
        var job = await JobFromDevnetAsync(devnet);

        var block = TestMiner.MineBlockBytes(job);
        var reason = await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(block), CancellationToken.None);

        Assert.Null(reason);
        var after = await devnet.Client.GetBestBlockHashAsync(CancellationToken.None);
        Assert.NotEqual(before, after);
        Assert.Equal(Block.Load(block, Network.RegTest).GetHash().ToString(), after);
        var info = await devnet.Client.GetBlockchainInfoAsync(CancellationToken.None);
        Assert.Equal(1, info.Blocks);
        var stored = await devnet.Client.GetBlockAsync(after, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.Height);
        Assert.Equal(before, stored.PreviousBlockHash);
        Assert.Equal(after, await devnet.Client.GetBlockHashAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task SegwitTemplateBlockCarriesAValidWitnessCommitment()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var template = await devnet.Client.GetBlockTemplateAsync(CancellationToken.None);
        Assert.True(template.SegwitActive);
        var job = await JobFromDevnetAsync(devnet);

        var block = Block.Load(TestMiner.MineBlockBytes(job), Network.RegTest);

        var coinbase = block.Transactions[0];
        Assert.True(coinbase.HasWitness);
        Assert.Equal(new byte[32], coinbase.Inputs[0].WitScript.Pushes.Single());
        Assert.Contains(coinbase.Outputs, o => Convert.ToHexStringLower(o.ScriptPubKey.ToBytes()) == template.DefaultWitnessCommitment);
        Assert.Null(await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(block.ToBytes()), CancellationToken.None));
    }

    [Fact]
    public async Task RejectsABlockWithoutProofOfWork()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var job = await JobFromDevnetAsync(devnet);
        var block = Block.Load(TestMiner.MineBlockBytes(job), Network.RegTest);
        var target = CompactTarget.ToTarget(block.Header.Bits.ToCompact());

        // Walk nonces until the header misses the target (almost every nonce does at this difficulty).
        for (var i = 0; i < 1000 && HashMath.FromLittleEndian(block.Header.GetHash().ToBytes()) <= target; i++)
        {
            block.Header.Nonce++;
        }

        Assert.Equal("high-hash", await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(block.ToBytes()), CancellationToken.None));
    }

    [Fact]
    public async Task RejectsABlockWhoseMerkleRootDoesNotMatch()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var job = await JobFromDevnetAsync(devnet);
        var raw = TestMiner.MineBlockBytes(job);
        // The last byte of the coinbase's tag sits just before its sequence; changing it changes the txid only.
        var text = Convert.ToHexStringLower(raw);
        var tagEnd = text.IndexOf("2f" + "ffffffff", StringComparison.Ordinal);
        Assert.True(tagEnd > 160);
        var tampered = text[..tagEnd] + "2e" + text[(tagEnd + 2)..];

        Assert.Equal("bad-txnmrklroot", await devnet.Client.SubmitBlockAsync(tampered, CancellationToken.None));
    }

    [Fact]
    public async Task RejectsABlockWithTheWrongBip34Height()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var template = await devnet.Client.GetBlockTemplateAsync(CancellationToken.None);
        var job = new JobFactory("/t/", 8, Payout).Create(template with { Height = template.Height + 1 }, "1", DateTimeOffset.UtcNow);

        var reason = await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(TestMiner.MineBlockBytes(job)), CancellationToken.None);

        Assert.Equal("bad-cb-height", reason);
    }

    [Fact]
    public async Task RejectsACoinbaseThatPaysMoreThanTheSubsidy()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var template = await devnet.Client.GetBlockTemplateAsync(CancellationToken.None);
        var job = new JobFactory("/t/", 8, Payout).Create(template with { CoinbaseValue = template.CoinbaseValue + 1 }, "1", DateTimeOffset.UtcNow);

        var reason = await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(TestMiner.MineBlockBytes(job)), CancellationToken.None);

        Assert.Equal("bad-cb-amount", reason);
        Assert.Equal(0, (await devnet.Client.GetBlockchainInfoAsync(CancellationToken.None)).Blocks);
    }

    [Fact]
    public async Task RejectsABlockOnAnUnknownParentAndADuplicate()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);
        var job = await JobFromDevnetAsync(devnet);
        var hex = Convert.ToHexStringLower(TestMiner.MineBlockBytes(job));

        Assert.Null(await devnet.Client.SubmitBlockAsync(hex, CancellationToken.None));
        Assert.Equal("duplicate", await devnet.Client.SubmitBlockAsync(hex, CancellationToken.None));
        var orphan = hex[..8] + new string('1', 64) + hex[72..];
        Assert.Equal("prev-blk-not-found", await devnet.Client.SubmitBlockAsync(orphan, CancellationToken.None));
    }

    [Fact]
    public async Task GarbageBlockIsADecodeErrorNotACrash()
    {
        await using var devnet = await DevnetHarness.StartAsync(EasyDifficulty);

        Assert.Equal("Block decode failed", await devnet.Client.SubmitBlockAsync("00ff", CancellationToken.None));
        Assert.Equal(0, (await devnet.Client.GetBlockchainInfoAsync(CancellationToken.None)).Blocks);
    }

    [Fact]
    public void DefaultDifficultyIsEasierThanDifficultyOneButHarderThanMinimumShares()
    {
        var chain = new DevnetChain(0.1, TimeProvider.System);

        Assert.Equal(0.1, chain.Difficulty, 3);
        var blockTarget = CompactTarget.ToTarget(chain.Bits);
        Assert.True(blockTarget > HashMath.DifficultyOneTargetInteger);
        Assert.Equal(HashMath.DifficultyOneTargetInteger * 10, blockTarget, new RelativeComparer(1e-4));
        // A share that just meets the pool's minimum share difficulty (0.001) is 100 times too weak to be a block.
        Assert.True(HashMath.TargetFromDifficulty(0.001) > blockTarget * 99);
    }

    [Fact]
    public async Task AnswersTheRestOfTheRpcSurface()
    {
        await using var devnet = await DevnetHarness.StartAsync(0.1);
        var client = devnet.Client;

        var genesis = await client.GetBlockHashAsync(0, CancellationToken.None);
        Assert.Equal(genesis, await client.GetBestBlockHashAsync(CancellationToken.None));
        Assert.Equal(0, (await client.GetBlockAsync(genesis, CancellationToken.None))!.Height);
        Assert.Null(await client.GetBlockAsync(new string('a', 64), CancellationToken.None));
        Assert.True((await client.ValidateAddressAsync(ChainNetworkParameters.DevnetAddress, CancellationToken.None)).IsValid);
        Assert.False((await client.ValidateAddressAsync("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", CancellationToken.None)).IsValid);
        Assert.Equal("270000", (await client.GetNetworkInfoAsync(CancellationToken.None)).VersionText);
        var info = await client.GetBlockchainInfoAsync(CancellationToken.None);
        Assert.Equal("devnet", info.Chain);
        Assert.Equal(0.1, info.Difficulty, 3);
        var error = await Assert.ThrowsAsync<DaemonRpcException>(() => client.CallAsync("nosuchmethod", [], CancellationToken.None));
        Assert.Equal(-32601, error.Code);
        var outOfRange = await Assert.ThrowsAsync<DaemonRpcException>(() => client.GetBlockHashAsync(5, CancellationToken.None));
        Assert.Equal(-8, outOfRange.Code);
        var raw = await client.CallAsync("getblock", [genesis, 0], CancellationToken.None);
        Assert.Equal(genesis, Block.Parse(raw.GetString()!, Network.RegTest).GetHash().ToString());
        Assert.Equal(JsonValueKind.String, raw.ValueKind);
    }

    [Fact]
    public async Task RefusesWrongCredentials()
    {
        await using var devnet = await DevnetHarness.StartAsync(0.1);
        var endpoints = await devnet.Server.GetEndpointsAsync(CancellationToken.None);
        var wrong = new DaemonClient(new HttpClient(), new ConfiguredDaemonEndpoints([endpoints[0] with { Password = "wrong" }]));

        var error = await Assert.ThrowsAsync<DaemonUnavailableException>(() => wrong.GetBestBlockHashAsync(CancellationToken.None));
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
    }

    internal static async Task<BlockJob> JobFromDevnetAsync(DevnetHarness devnet)
    {
        var template = await devnet.Client.GetBlockTemplateAsync(CancellationToken.None);
        return new JobFactory("/stratum-proxy/", 8, Payout).Create(template, "1", DateTimeOffset.UtcNow);
    }

    private sealed class RelativeComparer(double tolerance) : IEqualityComparer<System.Numerics.BigInteger>
    {
        public bool Equals(System.Numerics.BigInteger x, System.Numerics.BigInteger y) =>
            Math.Abs((double)(x - y)) <= tolerance * Math.Abs((double)y);

        public int GetHashCode(System.Numerics.BigInteger obj) => 0;
    }
}
