using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Devnet;
using StratumPool.Jobs;
using StratumPool.Shares;

namespace StratumPool.Tests.Devnet;

/// <summary>A devnet on a loopback port with a daemon client talking to it over HTTP.</summary>
internal sealed class DevnetHarness : IAsyncDisposable
{
    private DevnetHarness(DevnetServer server, DaemonClient client, TimeProvider time)
    {
        Server = server;
        Client = client;
        Time = time;
    }

    public DevnetServer Server { get; }

    public DaemonClient Client { get; }

    public TimeProvider Time { get; }

    public static async Task<DevnetHarness> StartAsync(double difficulty, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var server = new DevnetServer(new DevnetOptions { Difficulty = difficulty }, time, NullLogger<DevnetServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        var client = new DaemonClient(new HttpClient(), server);
        return new DevnetHarness(server, client, time);
    }

    public JobManager CreateJobManager(PoolOptions? options = null) =>
        new(options ?? new PoolOptions(), Client, Time, NullLogger<JobManager>.Instance);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Brute-forces nonces the way a miner does, through the pool's own share validation path.</summary>
internal static class TestMiner
{
    public static readonly byte[] ExtraNonce1 = [0xde, 0xad, 0xbe, 0xef];

    /// <summary>Finds a nonce whose header hash meets the job's block target; bounded by <paramref name="maxNonces"/>.</summary>
    public static (string NTime, string Nonce) FindBlock(BlockJob job, string extraNonce2, PayoutTarget? payout = null, uint? ntime = null, int maxNonces = 20_000_000)
    {
        var notify = job.GetCoinbase(payout).Notify;
        var coinbase = Convert.FromHexString(notify.Coinb1 + Convert.ToHexString(ExtraNonce1) + extraNonce2 + notify.Coinb2);
        var version = uint.Parse(notify.Version, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var time = ntime ?? uint.Parse(notify.NTime, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Span<byte> header = stackalloc byte[80];
        Span<byte> hash = stackalloc byte[32];
        ShareValidator.BuildHeader(job, coinbase, version, time, 0, header);
        var target = CompactTarget.ToTargetBytes(uint.Parse(notify.NBits, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        for (uint nonce = 0; nonce < maxNonces; nonce++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header[76..], nonce);
            Sha256d.Hash(header, hash);
            if (HashMath.MeetsTarget(hash, target))
            {
                return (time.ToString("x8", CultureInfo.InvariantCulture), nonce.ToString("x8", CultureInfo.InvariantCulture));
            }
        }

        throw new TimeoutException($"No block found in {maxNonces} nonces.");
    }

    public static ShareSubmission Share(BlockJob job, string extraNonce2, string ntime, string nonce, double difficulty = 1e-10, string? versionBits = null, uint mask = 0, double? previous = null, PayoutTarget? payout = null) =>
        new("worker.1", job.Id, extraNonce2, ntime, nonce, versionBits, ExtraNonce1, extraNonce2.Length / 2, mask, difficulty, previous, payout, IPAddress.Loopback);

    /// <summary>Mines a block for <paramref name="job"/> and returns its serialization, as the pool would submit it.</summary>
    public static byte[] MineBlockBytes(BlockJob job, string extraNonce2 = "00000001")
    {
        var (ntime, nonce) = FindBlock(job, extraNonce2);
        var verdict = ShareValidator.Validate(job, job.GetCoinbase(null), Share(job, extraNonce2, ntime, nonce), long.Parse(ntime, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.True(verdict.Accepted, verdict.Message);
        Assert.NotNull(verdict.Block);
        return BlockAssembler.Assemble(job, verdict.Block);
    }
}
