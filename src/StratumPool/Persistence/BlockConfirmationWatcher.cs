using Microsoft.Extensions.Options;
using StratumPool.Metrics;

namespace StratumPool.Persistence;

/// <summary>
/// Follows found blocks until they are final: a block whose height now holds another hash is orphaned; one
/// with <c>Pool:BlockConfirmations</c> confirmations is confirmed (a <c>getblockhash(height)</c> comparison).
/// </summary>
public sealed partial class BlockConfirmationWatcher(
    IBlockStore blocks,
    IChainReader chain,
    IOptions<PoolOptions> options,
    PoolMetrics metrics,
    TimeProvider time,
    ILogger<BlockConfirmationWatcher> logger) : BackgroundService
{
    private readonly PoolOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.BlockConfirmationInterval, time);
        do
        {
            try
            {
                await CheckOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogCheckFailed(exception);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One pass over the pending blocks; returns how many changed status.</summary>
    public async Task<int> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var pending = await blocks.GetPendingAsync(_options.EffectiveId, cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }

        var tip = await chain.GetBlockCountAsync(cancellationToken);
        var changed = 0;
        foreach (var block in pending)
        {
            if (block.Height > tip)
            {
                continue;
            }

            var hash = await chain.GetBlockHashAsync(block.Height, cancellationToken);
            if (hash is null)
            {
                continue;
            }

            if (!hash.Equals(block.Hash, StringComparison.OrdinalIgnoreCase))
            {
                await blocks.UpdateStatusAsync(block.Id, BlockStatus.Orphaned, 0, cancellationToken);
                metrics.BlocksFound.WithLabels(["orphaned"]).Inc();
                LogOrphaned(block.Height, block.Hash, hash);
                changed++;
                continue;
            }

            var confirmations = (int)Math.Min(int.MaxValue, tip - block.Height + 1);
            if (confirmations >= _options.BlockConfirmations)
            {
                await blocks.UpdateStatusAsync(block.Id, BlockStatus.Confirmed, confirmations, cancellationToken);
                metrics.BlocksFound.WithLabels(["confirmed"]).Inc();
                LogConfirmed(block.Height, block.Hash, confirmations);
                changed++;
            }
            else if (confirmations != block.Confirmations)
            {
                await blocks.UpdateStatusAsync(block.Id, BlockStatus.Pending, confirmations, cancellationToken);
            }
        }

        return changed;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Block {Height} {Hash} orphaned: the chain has {ChainHash} at that height")]
    private partial void LogOrphaned(long height, string hash, string chainHash);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Block {Height} {Hash} confirmed ({Confirmations} confirmations)")]
    private partial void LogConfirmed(long height, string hash, int confirmations);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Checking block confirmations failed")]
    private partial void LogCheckFailed(Exception exception);
}
