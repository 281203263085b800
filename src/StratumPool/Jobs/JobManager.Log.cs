namespace StratumPool.Jobs;

public sealed partial class JobManager
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "New job {JobId} at height {Height} (new block: {NewBlock}, {TransactionCount} transactions)")]
    private static partial void LogNewJob(ILogger logger, string jobId, long height, bool newBlock, int transactionCount);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Could not refresh the block template: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Could not refresh the block template ({Failures} failure(s) in a row): {Reason}")]
    private static partial void LogRefreshFailing(ILogger logger, string reason, int failures);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Could not refresh the block template: {Reason}")]
    private static partial void LogRefreshFailedAgain(ILogger logger, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Block template refreshed again after {Failures} failure(s)")]
    private static partial void LogRefreshRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Block {Hash} at height {Height} found by {Worker} accepted by the daemon")]
    private static partial void LogBlockAccepted(ILogger logger, long height, string hash, string worker);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Block {Hash} at height {Height} found by {Worker} rejected by the daemon: {Reason}")]
    private static partial void LogBlockRejected(ILogger logger, long height, string hash, string worker, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "A job broadcast subscriber failed for job {JobId}")]
    private static partial void LogBroadcastHandlerFailed(ILogger logger, string jobId, Exception exception);
}
