namespace StratumPool.Persistence;

/// <summary>Where accepted shares are kept. A server database can implement it later.</summary>
public interface IShareStore
{
    /// <summary>
    /// Stores <paramref name="share"/>; the task completes only once the share is durable, so a share is
    /// acknowledged to the miner only after that.
    /// </summary>
    ValueTask AppendAsync(ShareRecord share, CancellationToken cancellationToken);

    /// <summary>Shares of each worker of <paramref name="address"/> since <paramref name="since"/>.</summary>
    Task<IReadOnlyList<WorkerShareStats>> GetWorkerStatsAsync(string poolId, string address, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Number of shares since <paramref name="since"/>, of <paramref name="address"/> or of everyone when null.</summary>
    Task<long> CountSharesAsync(string poolId, string? address, DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>Where found blocks are kept.</summary>
public interface IBlockStore
{
    /// <summary>Stores a block; returns it with its id. A hash already stored is not added twice.</summary>
    Task<BlockRecord> AddAsync(BlockRecord block, CancellationToken cancellationToken);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<BlockRecord>> GetRecentAsync(string poolId, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<BlockRecord>> GetPendingAsync(string poolId, CancellationToken cancellationToken);

    Task UpdateStatusAsync(long id, BlockStatus status, int confirmations, CancellationToken cancellationToken);

    Task<long> CountAsync(string poolId, CancellationToken cancellationToken);
}

/// <summary>The daemon calls the confirmation watcher needs.</summary>
public interface IChainReader
{
    /// <summary>Height of the best chain's tip.</summary>
    Task<long> GetBlockCountAsync(CancellationToken cancellationToken);

    /// <summary>Hash of the best chain's block at <paramref name="height"/> (display order hex); null above the tip.</summary>
    Task<string?> GetBlockHashAsync(long height, CancellationToken cancellationToken);
}
