using Microsoft.Extensions.Options;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Metrics;
using StratumPool.Persistence;

namespace StratumPool.Stratum;

/// <summary>What every session shares: options, the chain side, storage, metrics and the clock.</summary>
public sealed class StratumServerContext(
    IOptions<PoolOptions> options,
    IJobManager jobs,
    NotifyCache notifyCache,
    ExtraNonceAllocator extraNonces,
    StratumSessionRegistry sessions,
    IShareStore shares,
    IBlockStore blocks,
    PoolMetrics metrics,
    ShareRateTracker shareRate,
    TimeProvider time,
    ILoggerFactory loggerFactory)
{
    public PoolOptions Options { get; } = options.Value;

    public string PoolId { get; } = options.Value.EffectiveId;

    public ChainNetworkParameters Network { get; } = ChainNetworkParameters.For(options.Value.Network);

    public IJobManager Jobs { get; } = jobs;

    public NotifyCache NotifyCache { get; } = notifyCache;

    public ExtraNonceAllocator ExtraNonces { get; } = extraNonces;

    public StratumSessionRegistry Sessions { get; } = sessions;

    public IShareStore Shares { get; } = shares;

    public IBlockStore Blocks { get; } = blocks;

    public PoolMetrics Metrics { get; } = metrics;

    public ShareRateTracker ShareRate { get; } = shareRate;

    public TimeProvider Time { get; } = time;

    public ILogger SessionLogger { get; } = loggerFactory.CreateLogger<StratumSession>();

    /// <summary>When the pool last saw a new network block (a job with clean_jobs).</summary>
    public DateTimeOffset? LastNetworkBlockAt { get; set; }
}
