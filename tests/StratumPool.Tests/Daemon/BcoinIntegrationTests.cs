using Microsoft.Extensions.Logging.Abstractions;
using NBitcoin;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Jobs;
using StratumPool.Tests.Devnet;

namespace StratumPool.Tests.Daemon;

/// <summary>The pool's daemon client and job manager against a real bcoin node in regtest.</summary>
public sealed class BcoinIntegrationTests
{
    private static readonly Key MinerKey = new(new byte[32] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 });

    private static JobManager CreateManager(BcoinNode node) => new(
        new PoolOptions
        {
            Network = ChainNetwork.Regtest,
            Address = MinerKey.PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.RegTest).ToString(),
            Daemons = [node.Endpoint],
            CoinbaseTag = "/stratum-proxy-test/",
        },
        node.Client,
        TimeProvider.System,
        NullLogger<JobManager>.Instance);

    [BcoinFact]
    public async Task MinesAPreSegwitBlockThatBcoinAccepts()
    {
        await using var node = await BcoinNode.StartAsync();
        var manager = CreateManager(node);
        var before = await node.Client.GetBestBlockHashAsync(CancellationToken.None);
        Assert.True(await manager.RefreshAsync(false, CancellationToken.None));
        var job = (BlockJob)manager.CurrentJob!;
        Assert.False(job.Segwit);
        Assert.Equal(1, job.Height);
        Assert.DoesNotContain("6a24aa21a9ed", manager.GetNotifyParameters(job, null).Coinb2, StringComparison.Ordinal);

        var (ntime, nonce) = TestMiner.FindBlock(job, "0000000a");
        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "0000000a", ntime, nonce, difficulty: 1e-10), CancellationToken.None);

        Assert.True(result.Accepted, result.ErrorMessage);
        Assert.NotNull(result.Block);
        Assert.True(result.Block.Accepted, result.Block.RejectReason);
        var after = await node.Client.GetBestBlockHashAsync(CancellationToken.None);
        Assert.NotEqual(before, after);
        Assert.Equal(after, result.Block.BlockHash);
        Assert.Equal(50L * 100_000_000, result.Block.Reward);
        var stored = await node.Client.GetBlockAsync(after, CancellationToken.None);
        Assert.Equal(1, stored!.Height);
    }

    [BcoinFact]
    public async Task AfterSegwitActivationTheBlockCarriesTheWitnessCommitmentAndIsAccepted()
    {
        await using var node = await BcoinNode.StartAsync();
        await node.GenerateAsync(440, BcoinNode.BcoinRegtestAddress(MinerKey));
        var template = await node.Client.GetBlockTemplateAsync(CancellationToken.None);
        Assert.Contains(template.Rules, r => r is "segwit" or "!segwit");
        Assert.True(template.SegwitActive);
        var manager = CreateManager(node);
        await manager.RefreshAsync(false, CancellationToken.None);
        var job = (BlockJob)manager.CurrentJob!;
        Assert.True(job.Segwit);
        Assert.Contains(template.DefaultWitnessCommitment!, manager.GetNotifyParameters(job, null).Coinb2, StringComparison.Ordinal);

        var (ntime, nonce) = TestMiner.FindBlock(job, "0000000b");
        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "0000000b", ntime, nonce), CancellationToken.None);

        Assert.True(result.Block!.Accepted, result.Block.RejectReason);
        Assert.Equal(441, result.Block.Height);
        Assert.Equal(result.Block.BlockHash, await node.Client.GetBestBlockHashAsync(CancellationToken.None));
    }

    [BcoinFact]
    public async Task BcoinRejectionsComeBackAsBareBip22Reasons()
    {
        await using var node = await BcoinNode.StartAsync();
        var manager = CreateManager(node);
        await manager.RefreshAsync(false, CancellationToken.None);
        var job = (BlockJob)manager.CurrentJob!;
        var good = Block.Load(TestMiner.MineBlockBytes(job), Network.RegTest);

        var badPow = good.Clone();
        var target = CompactTarget.ToTarget(badPow.Header.Bits.ToCompact());
        for (var i = 0; i < 1000 && HashMath.FromLittleEndian(badPow.Header.GetHash().ToBytes()) <= target; i++)
        {
            badPow.Header.Nonce++;
        }

        Assert.Equal("high-hash", await node.Client.SubmitBlockAsync(Convert.ToHexStringLower(badPow.ToBytes()), CancellationToken.None));
        var rpcError = await Assert.ThrowsAsync<DaemonRpcException>(() => node.Client.CallAsync("nosuchmethod", [], CancellationToken.None));
        Assert.NotEqual(0, rpcError.Code);
        Assert.Null(await node.Client.GetBlockAsync(new string('1', 64), CancellationToken.None));
        Assert.NotEmpty((await node.Client.GetNetworkInfoAsync(CancellationToken.None)).VersionText);
        Assert.Equal("regtest", (await node.Client.GetBlockchainInfoAsync(CancellationToken.None)).Chain);
        Assert.Null(await node.Client.SubmitBlockAsync(Convert.ToHexStringLower(good.ToBytes()), CancellationToken.None));
        Assert.Equal(good.GetHash().ToString(), await node.Client.GetBlockHashAsync(1, CancellationToken.None));
    }
}
