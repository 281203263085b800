using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Jobs;
using StratumPool.Shares;

namespace StratumProxy.Benchmarks.Shares;

/// <summary>
/// What one <c>mining.submit</c> costs the pool once its params are read: the job's coinbase for the session, then
/// <see cref="ShareValidator"/> (extranonce and ntime checks, merkle root from the cache or the branch, header hash,
/// share and block targets, duplicate set). The job is built from the real testnet3 <c>getblocktemplate</c> of the
/// golden vectors. Every operation submits a different nonce, so every share is new and the job's duplicate set grows
/// as it does for a live job; after <see cref="SharesPerJob"/> shares a fresh job replaces it (as a new block or a
/// rebroadcast does), which bounds the set and charges its growth to the operations. Single-threaded: validations per
/// second on one core = 1e9 / mean in ns. Target: 200 000/s. On a shared machine read Min next to Mean: time the
/// scheduler gives to other processes inflates the mean, never the minimum.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class ShareValidationBenchmarks
{
    /// <summary>Shares validated against one job before it is replaced.</summary>
    public const int SharesPerJob = 1 << 16;

    private const int Sessions = 64;
    private const int ExtraNonce2Size = 4;
    private const uint VersionMask = 0x1fffe000;
    private const string TemplateFile = "testnet3_2442185_public-pool.json";
    private const string PayoutAddress = "tb1qumezefzdeqqwn5zfvgdrhxjzc5ylr39uhuxcz4";

    private BlockTemplate _template = null!;
    private JobFactory _factory = null!;
    private BlockJob _job = null!;
    private ShareSubmission[] _sameExtraNonce2 = [];
    private ShareSubmission[] _newExtraNonce2 = [];
    private long _now;
    private int _next;
    private int _jobs;

    /// <summary>Shares carry BIP310 version bits (mask <c>1fffe000</c>, as Bitaxe sends) or none (cpuminer).</summary>
    [Params(false, true)]
    public bool VersionRolling { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _template = JsonSerializer.Deserialize(File.ReadAllText(TemplatePath()), DaemonJsonContext.Default.BlockTemplate)
            ?? throw new InvalidOperationException("Empty block template " + TemplateFile);
        var payout = ChainNetworkParameters.For(ChainNetwork.Testnet).ParsePayout(PayoutAddress);
        _factory = new JobFactory("/stratum-proxy/", JobManager.ExtraNonce1Size + ExtraNonce2Size, payout);
        _now = _template.CurTime + 30;
        var ntime = _template.CurTime.ToString("x8", CultureInfo.InvariantCulture);
        _sameExtraNonce2 = CreateSubmissions(ntime, extraNonce2PerShare: false);
        _newExtraNonce2 = CreateSubmissions(ntime, extraNonce2PerShare: true);
        NewJob();

        // The figures mean nothing unless the shares are the accepted ones the pool sees all day.
        foreach (var set in new[] { _sameExtraNonce2, _newExtraNonce2 })
        {
            var job = _factory.Create(_template, "check", DateTimeOffset.UnixEpoch);
            for (var i = 0; i < 256; i++)
            {
                var verdict = ShareValidator.Validate(job, job.GetCoinbase(null), set[i], _now);
                if (!verdict.Accepted || verdict.Block is not null)
                {
                    throw new InvalidOperationException($"Share {i} not accepted as a plain share: {verdict.ErrorCode} {verdict.Message}");
                }
            }

            if (ShareValidator.Validate(job, job.GetCoinbase(null), set[0], _now).ErrorCode != 22)
            {
                throw new InvalidOperationException("A repeated share was not refused as a duplicate.");
            }
        }
    }

    [Benchmark(Description = "submit, new nonce, same extranonce2 (merkle root cached)")]
    public double SameExtraNonce2() => Validate(_sameExtraNonce2);

    [Benchmark(Description = "submit, new extranonce2 every share (merkle root folded)")]
    public double NewExtraNonce2() => Validate(_newExtraNonce2);

    private double Validate(ShareSubmission[] submissions)
    {
        if (_next == SharesPerJob)
        {
            NewJob();
        }

        var verdict = ShareValidator.Validate(_job, _job.GetCoinbase(null), submissions[_next++], _now);
        return verdict.AcceptedAtDifficulty;
    }

    private void NewJob()
    {
        _job = _factory.Create(_template, (++_jobs).ToString(CultureInfo.InvariantCulture), DateTimeOffset.UnixEpoch);
        _next = 0;
    }

    /// <summary>
    /// <see cref="SharesPerJob"/> submits from <see cref="Sessions"/> sessions taking turns, each with its own
    /// extranonce1 and a nonce no other share uses. Difficulty 1e-10 is below the easiest possible hash (2.3e-10),
    /// so every share is accepted and lands in the duplicate set; none meets the testnet block target.
    /// </summary>
    private ShareSubmission[] CreateSubmissions(string ntime, bool extraNonce2PerShare)
    {
        var submissions = new ShareSubmission[SharesPerJob];
        for (var i = 0; i < submissions.Length; i++)
        {
            var session = i % Sessions;
            var extraNonce1 = new byte[] { 0x57, 0xa6, (byte)(session >> 8), (byte)session };
            var extraNonce2 = extraNonce2PerShare ? (uint)(i / Sessions) : 0u;
            var nonce = (uint)i * 2654435761u;
            var versionBits = VersionRolling ? ((uint)i << 13) & VersionMask : 0u;
            submissions[i] = new ShareSubmission(
                "tb1qumezefzdeqqwn5zfvgdrhxjzc5ylr39uhuxcz4.bench" + session.ToString(CultureInfo.InvariantCulture),
                "1",
                extraNonce2.ToString("x8", CultureInfo.InvariantCulture),
                ntime,
                nonce.ToString("x8", CultureInfo.InvariantCulture),
                VersionRolling ? versionBits.ToString("x8", CultureInfo.InvariantCulture) : null,
                extraNonce1,
                ExtraNonce2Size,
                VersionRolling ? VersionMask : 0,
                1e-10,
                null,
                null,
                null);
        }

        return submissions;
    }

    /// <summary>The shared golden vectors sit next to the checkout (../shared), or two levels up from a worktree.</summary>
    private static string TemplatePath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (!File.Exists(Path.Combine(directory.FullName, "Proxy.sln")))
            {
                continue;
            }

            foreach (var shared in new[] { Path.Combine(directory.FullName, ".."), Path.Combine(directory.FullName, "..", "..") })
            {
                var path = Path.GetFullPath(Path.Combine(shared, "shared", "data", "bitcoin", "templates", TemplateFile));
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        throw new FileNotFoundException("Golden vector " + TemplateFile + " not found in ../shared/data/bitcoin/templates next to the repository.");
    }
}
