using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Tests.Devnet;

namespace StratumPool.Tests.Shares;

/// <summary>Every way <see cref="JobManager.ProcessShareAsync"/> refuses a share, against jobs from a real devnet.</summary>
public sealed class ShareValidationTests
{
    // Too hard to hit by chance: no share in these tests is a block unless mined on purpose.
    private const double HardDevnet = 1000;

    private static string NTime(BlockJob job, long delta = 0) =>
        (uint.Parse(job.GetCoinbase(null).Notify.NTime, NumberStyles.HexNumber, CultureInfo.InvariantCulture) + delta).ToString("x8", CultureInfo.InvariantCulture);

    private static async Task<(DevnetHarness Devnet, JobManager Manager, BlockJob Job)> StartAsync(PoolOptions? options = null, double difficulty = HardDevnet, TimeProvider? time = null)
    {
        var devnet = await DevnetHarness.StartAsync(difficulty, time ?? new FakeTimeProvider(DateTimeOffset.UtcNow));
        var manager = devnet.CreateJobManager(options);
        Assert.True(await manager.RefreshAsync(force: false, CancellationToken.None));
        return (devnet, manager, (BlockJob)manager.CurrentJob!);
    }

    [Fact]
    public async Task AcceptsAValidShareAtTheSessionDifficulty()
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;

        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "00000001", NTime(job), "00000000", difficulty: 1e-10), CancellationToken.None);

        Assert.True(result.Accepted, result.ErrorMessage);
        Assert.Equal(1e-10, result.AcceptedAtDifficulty);
        Assert.Equal(1, result.Height);
        Assert.Null(result.Block);
    }

    [Fact]
    public async Task UnknownJobIsJobNotFound()
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;

        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "00000001", NTime(job), "00000000") with { JobId = "nope" }, CancellationToken.None);

        Assert.Equal(21, result.ErrorCode);
        Assert.Equal("job not found", result.ErrorMessage);
    }

    [Fact]
    public async Task JobOfAPreviousBlockIsStale()
    {
        var (devnet, manager, oldJob) = await StartAsync(difficulty: 1e-6);
        await using var _ = devnet;
        var block = TestMiner.MineBlockBytes(oldJob);
        Assert.Null(await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(block), CancellationToken.None));
        var broadcasts = new List<JobBroadcast>();
        manager.JobBroadcast += broadcasts.Add;

        Assert.True(await manager.RefreshAsync(force: false, CancellationToken.None));
        var result = await manager.ProcessShareAsync(TestMiner.Share(oldJob, "00000002", NTime(oldJob), "00000000"), CancellationToken.None);

        Assert.Equal(21, result.ErrorCode);
        Assert.Equal("stale job", result.ErrorMessage);
        var broadcast = Assert.Single(broadcasts);
        Assert.True(broadcast.CleanJobs);
        Assert.Equal(2, broadcast.Job.Height);
        Assert.Equal(1, manager.Network.Height);
    }

    [Fact]
    public async Task SameHeaderTwiceIsADuplicate()
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;
        var share = TestMiner.Share(job, "00000001", NTime(job), "0000abcd");

        var first = await manager.ProcessShareAsync(share, CancellationToken.None);
        var second = await manager.ProcessShareAsync(share, CancellationToken.None);
        var otherNonce = await manager.ProcessShareAsync(share with { Nonce = "0000abce" }, CancellationToken.None);

        Assert.True(first.Accepted);
        Assert.Equal(22, second.ErrorCode);
        Assert.True(otherNonce.Accepted);
    }

    [Fact]
    public async Task VersionRolledSharesWithTheSameNonceAreNotDuplicates()
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;
        var share = TestMiner.Share(job, "00000001", NTime(job), "00000001", versionBits: "00002000", mask: 0x1fffe000);

        var first = await manager.ProcessShareAsync(share, CancellationToken.None);
        var rolled = await manager.ProcessShareAsync(share with { VersionBits = "00004000" }, CancellationToken.None);

        Assert.True(first.Accepted, first.ErrorMessage);
        Assert.True(rolled.Accepted, rolled.ErrorMessage);
    }

    [Fact]
    public async Task WeakShareIsLowDifficultyUnlessItMeetsThePreviousDifficultyInTheGraceWindow()
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;
        var share = TestMiner.Share(job, "00000001", NTime(job), "00000003", difficulty: 1e12);

        var low = await manager.ProcessShareAsync(share, CancellationToken.None);
        var grace = await manager.ProcessShareAsync(share with { PreviousDifficulty = 1e-10 }, CancellationToken.None);

        Assert.Equal(23, low.ErrorCode);
        Assert.StartsWith("low difficulty share", low.ErrorMessage, StringComparison.Ordinal);
        Assert.True(low.ShareDifficulty > 0);
        Assert.True(grace.Accepted);
        Assert.Equal(1e-10, grace.AcceptedAtDifficulty);
    }

    [Theory]
    [InlineData(-7200)]
    [InlineData(3 * 3600)]
    public async Task NTimeOutsideTheWindowIsRefused(long delta)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (devnet, manager, job) = await StartAsync(time: time);
        await using var _ = devnet;

        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "00000001", NTime(job, delta), "00000000"), CancellationToken.None);
        var rolledForward = await manager.ProcessShareAsync(TestMiner.Share(job, "00000001", NTime(job, 600), "00000000"), CancellationToken.None);

        Assert.Equal(20, result.ErrorCode);
        Assert.Equal("ntime out of range", result.ErrorMessage);
        Assert.True(rolledForward.Accepted, rolledForward.ErrorMessage);
    }

    [Theory]
    [InlineData("000001")]
    [InlineData("0000000001")]
    [InlineData("")]
    public async Task ExtraNonce2OfTheWrongSizeIsRefused(string extraNonce2)
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;

        var share = TestMiner.Share(job, "00000001", NTime(job), "00000000") with { ExtraNonce2 = extraNonce2 };
        var result = await manager.ProcessShareAsync(share, CancellationToken.None);

        Assert.Equal(20, result.ErrorCode);
        Assert.Equal("incorrect size of extranonce2", result.ErrorMessage);
    }

    [Theory]
    [InlineData("zzzzzzzz", "00000000", "invalid extranonce2")]
    [InlineData("00000001", "0000000g", "invalid nonce")]
    public async Task MalformedHexIsRefusedWithAReason(string extraNonce2, string nonce, string message)
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;

        var result = await manager.ProcessShareAsync(TestMiner.Share(job, extraNonce2, NTime(job), nonce), CancellationToken.None);

        Assert.Equal(20, result.ErrorCode);
        Assert.Equal(message, result.ErrorMessage);
    }

    [Theory]
    [InlineData("00000001", 0x1fffe000u)]
    [InlineData("20000000", 0x1fffe000u)]
    [InlineData("00002000", 0u)]
    public async Task VersionBitsOutsideTheNegotiatedMaskAreRefused(string versionBits, uint mask)
    {
        var (devnet, manager, job) = await StartAsync();
        await using var _ = devnet;

        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "00000001", NTime(job), "00000000", versionBits: versionBits, mask: mask), CancellationToken.None);

        Assert.Equal(20, result.ErrorCode);
        Assert.Equal("version bits outside the negotiated mask", result.ErrorMessage);
    }

    [Fact]
    public async Task ASolvedShareSubmitsTheBlockAndReportsIt()
    {
        var (devnet, manager, job) = await StartAsync(difficulty: 1e-6);
        await using var _ = devnet;
        var (ntime, nonce) = TestMiner.FindBlock(job, "00000005");
        var before = await devnet.Client.GetBestBlockHashAsync(CancellationToken.None);

        var result = await manager.ProcessShareAsync(TestMiner.Share(job, "00000005", ntime, nonce, difficulty: 1e9), CancellationToken.None);

        Assert.True(result.Accepted, result.ErrorMessage);
        Assert.NotNull(result.Block);
        Assert.True(result.Block.Accepted, result.Block.RejectReason);
        Assert.Equal(1, result.Block.Height);
        Assert.Equal(50L * 100_000_000, result.Block.Reward);
        var after = await devnet.Client.GetBestBlockHashAsync(CancellationToken.None);
        Assert.NotEqual(before, after);
        Assert.Equal(after, result.Block.BlockHash);
    }

    [Fact]
    public async Task SoloModePaysEachFinderAndPoolModePaysThePool()
    {
        var finder = ChainNetworkParameters.For(ChainNetwork.Devnet).ParsePayout("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080");
        var (devnet, solo, soloJob) = await StartAsync(new PoolOptions { PaymentMode = PaymentMode.Solo });
        await using var _ = devnet;
        var pool = devnet.CreateJobManager(new PoolOptions { PaymentMode = PaymentMode.Pool });
        await pool.RefreshAsync(false, CancellationToken.None);

        var soloNotify = solo.GetNotifyParameters(soloJob, finder);
        var poolNotify = pool.GetNotifyParameters(pool.CurrentJob!, finder);

        Assert.Contains(Convert.ToHexStringLower(finder.ScriptPubKey), soloNotify.Coinb2, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(finder.ScriptPubKey), poolNotify.Coinb2, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(pool.PoolPayout.ScriptPubKey), poolNotify.Coinb2, StringComparison.Ordinal);
        Assert.Same(soloNotify, solo.GetNotifyParameters(soloJob, finder));
        Assert.Equal(soloNotify.Coinb1, solo.GetNotifyParameters(soloJob, null).Coinb1);
    }

    [Fact]
    public void AcceptPathAllocatesAlmostNothing()
    {
        var vector = Jobs.BitcoinVectors.Json("stratum", "public-pool_testnet3_2442185_share.json");
        var job = JobFactory.FromNotify(Jobs.BitcoinVectors.Notify(vector), 8, 2442185, DateTimeOffset.UtcNow);
        var parts = job.GetCoinbase(null);
        var share = Jobs.RecordedJobTests.Submission(vector, 1e-10, useVersionBits: true);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        const int Count = 20_000;
        var shares = Enumerable.Range(0, Count).Select(i => share with { Nonce = i.ToString("x8", CultureInfo.InvariantCulture) }).ToArray();
        StratumPool.Shares.ShareValidator.Validate(job, parts, shares[0], now);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < Count; i++)
        {
            Assert.True(StratumPool.Shares.ShareValidator.Validate(job, parts, shares[i], now).Accepted);
        }

        var perShare = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(Count - 1);
        // Only the duplicate set's entry is allocated per accepted share.
        Assert.True(perShare < 160, $"{perShare} bytes per validated share");
    }
}
