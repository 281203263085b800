namespace StratumPool.Persistence;

/// <summary>One accepted share, as kept for PPLNS/PROP accounting.</summary>
/// <param name="Worker">The full worker name the miner authorized with.</param>
/// <param name="Address">The miner's payout address or account (the part before the first dot).</param>
/// <param name="Difficulty">The difficulty the share was accepted at (its weight).</param>
public sealed record ShareRecord(
    string PoolId,
    string Worker,
    string Address,
    double Difficulty,
    double NetworkDifficulty,
    long Height,
    DateTimeOffset CreatedAt,
    string? IpAddress);

/// <summary>What a found block went through.</summary>
public enum BlockStatus
{
    /// <summary>Accepted by the daemon, waiting for confirmations.</summary>
    Pending,

    /// <summary>Deep enough to be final (coinbase maturity).</summary>
    Confirmed,

    /// <summary>No longer in the best chain.</summary>
    Orphaned,
}

/// <summary>A block found by the pool.</summary>
/// <param name="Reward">Coinbase value in satoshis.</param>
public sealed record BlockRecord(
    string PoolId,
    long Height,
    string Hash,
    long Reward,
    string FinderWorker,
    string FinderAddress,
    double NetworkDifficulty,
    BlockStatus Status,
    int Confirmations,
    DateTimeOffset CreatedAt)
{
    /// <summary>Row id; 0 before the block is stored.</summary>
    public long Id { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Shares of one worker over a window.</summary>
public sealed record WorkerShareStats(string Worker, long Shares, double DifficultySum, DateTimeOffset LastShareAt);
