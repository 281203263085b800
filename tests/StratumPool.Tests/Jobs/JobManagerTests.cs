using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Tests.Devnet;

namespace StratumPool.Tests.Jobs;

/// <summary>The job manager's life cycle against a real devnet: new blocks, rebroadcasts, the window of valid jobs.</summary>
public sealed class JobManagerTests
{
    [Fact]
    public async Task RebroadcastsAFreshJobAfterTheTimeoutWithoutCleaningOldOnes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var devnet = await DevnetHarness.StartAsync(1000, time);
        var manager = devnet.CreateJobManager(new PoolOptions { JobRebroadcastTimeout = TimeSpan.FromSeconds(55) });
        var broadcasts = new List<JobBroadcast>();
        manager.JobBroadcast += broadcasts.Add;
        await manager.RefreshAsync(false, CancellationToken.None);
        var first = (BlockJob)manager.CurrentJob!;

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(await manager.RefreshAsync(false, CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(await manager.RefreshAsync(false, CancellationToken.None));

        Assert.Equal(2, broadcasts.Count);
        Assert.True(broadcasts[0].CleanJobs);
        Assert.False(broadcasts[1].CleanJobs);
        var second = (BlockJob)broadcasts[1].Job;
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(first.Height, second.Height);
        var firstTime = uint.Parse(manager.GetNotifyParameters(first, null).NTime, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var secondTime = uint.Parse(manager.GetNotifyParameters(second, null).NTime, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.True(secondTime > firstTime);
        Assert.Equal((uint)time.GetUtcNow().ToUnixTimeSeconds(), secondTime);
        var share = TestMiner.Share(first, "00000001", manager.GetNotifyParameters(first, null).NTime, "00000000");
        Assert.True((await manager.ProcessShareAsync(share, CancellationToken.None)).Accepted);
        Assert.Equal(time.GetUtcNow(), manager.Network.LastTemplateAt);
    }

    [Fact]
    public async Task AFailingSubscriberDoesNotStopTheOthersOrTheRefresh()
    {
        await using var devnet = await DevnetHarness.StartAsync(1000, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var manager = devnet.CreateJobManager();
        var received = new List<JobBroadcast>();
        manager.JobBroadcast += _ => throw new InvalidOperationException("subscriber bug");
        manager.JobBroadcast += received.Add;

        Assert.True(await manager.RefreshAsync(false, CancellationToken.None));

        Assert.Single(received);
        Assert.NotNull(manager.CurrentJob);
    }

    [Fact]
    public async Task KeepsOnlyTheNewestJobsOfTheCurrentBlock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var devnet = await DevnetHarness.StartAsync(1000, time);
        var manager = devnet.CreateJobManager(new PoolOptions { MaxRecentJobs = 2 });
        await manager.RefreshAsync(false, CancellationToken.None);
        var oldest = (BlockJob)manager.CurrentJob!;
        await manager.RefreshAsync(force: true, CancellationToken.None);
        var middle = (BlockJob)manager.CurrentJob!;
        await manager.RefreshAsync(force: true, CancellationToken.None);

        var tooOld = await manager.ProcessShareAsync(TestMiner.Share(oldest, "00000001", manager.GetNotifyParameters(oldest, null).NTime, "00000000"), CancellationToken.None);
        var stillValid = await manager.ProcessShareAsync(TestMiner.Share(middle, "00000001", manager.GetNotifyParameters(middle, null).NTime, "00000000"), CancellationToken.None);

        Assert.Equal(21, tooOld.ErrorCode);
        Assert.True(stillValid.Accepted, stillValid.ErrorMessage);
    }

    [Fact]
    public async Task PollingLoopNoticesANewBlockAndReportsTheNetwork()
    {
        await using var devnet = await DevnetHarness.StartAsync(1e-6);
        using var manager = devnet.CreateJobManager(new PoolOptions { BlockRefreshInterval = TimeSpan.FromMilliseconds(50) });
        var clean = new TaskCompletionSource<JobBroadcast>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new TaskCompletionSource<JobBroadcast>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.JobBroadcast += b =>
        {
            if (!first.TrySetResult(b) && b.CleanJobs)
            {
                clean.TrySetResult(b);
            }
        };
        await manager.StartAsync(CancellationToken.None);
        try
        {
            var job = (BlockJob)(await first.Task.WaitAsync(TimeSpan.FromSeconds(10))).Job;
            Assert.True(manager.Network.Connected);
            Assert.Equal(0, manager.Network.Height);

            Assert.Null(await devnet.Client.SubmitBlockAsync(Convert.ToHexStringLower(TestMiner.MineBlockBytes(job)), CancellationToken.None));

            var next = await clean.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(2, next.Job.Height);
            Assert.Equal(1, manager.Network.Height);
            Assert.Equal(await devnet.Client.GetBestBlockHashAsync(CancellationToken.None), manager.Network.BestBlockHash);
        }
        finally
        {
            await manager.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void OptionsBindFromThePoolSectionWithTheIssueKeys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pool:Network"] = "Regtest",
            ["Pool:Devnet:Difficulty"] = "0.5",
            ["Pool:Address"] = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
            ["Pool:CoinbaseTag"] = "/tag/",
            ["Pool:Daemons:0:Url"] = "http://127.0.0.1:18443",
            ["Pool:Daemons:0:User"] = "rpc",
            ["Pool:Daemons:0:Password"] = "secret",
            ["Pool:BlockRefreshInterval"] = "00:00:02",
            ["Pool:JobRebroadcastTimeout"] = "00:00:30",
            ["Pool:PaymentMode"] = "Solo",
            ["Pool:Enabled"] = "true",
        }).Build();

        var options = configuration.GetSection("Pool").Get<PoolOptions>()!;

        Assert.Equal(ChainNetwork.Regtest, options.Network);
        Assert.Equal(0.5, options.Devnet.Difficulty);
        Assert.Equal("/tag/", options.CoinbaseTag);
        Assert.Equal("rpc", Assert.Single(options.Daemons).User);
        Assert.Equal(TimeSpan.FromSeconds(2), options.BlockRefreshInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.JobRebroadcastTimeout);
        Assert.Equal(PaymentMode.Solo, options.PaymentMode);
        Assert.Empty(StratumPool.Hosting.PoolOptionsValidator.CollectChain(options));
        Assert.DoesNotContain("secret", options.Daemons[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidOptionsAreAllReported()
    {
        var options = new PoolOptions { Network = ChainNetwork.Mainnet, ExtraNonce2Size = 3, Address = "not-an-address" };

        var errors = StratumPool.Hosting.PoolOptionsValidator.CollectChain(options);

        Assert.Contains(errors, e => e.Contains("ExtraNonce2Size", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Daemons", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("not a valid Mainnet address", StringComparison.Ordinal));
    }

    [Fact]
    public void DevnetWithoutAddressPaysTheDeterministicDevnetAddress()
    {
        var parameters = ChainNetworkParameters.For(ChainNetwork.Devnet);

        var payout = parameters.ResolvePoolPayout(null);

        Assert.Equal(ChainNetworkParameters.DevnetAddress, payout.Address);
        Assert.StartsWith("bcrt1", payout.Address, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ChainNetworkParameters.For(ChainNetwork.Mainnet).ResolvePoolPayout(null));
    }
}
