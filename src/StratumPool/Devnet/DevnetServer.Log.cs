namespace StratumPool.Devnet;

public sealed partial class DevnetServer
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Devnet JSON-RPC listening on {Url} (block difficulty {Difficulty}, bits {Bits})")]
    private static partial void LogStarted(ILogger logger, string url, double difficulty, string bits);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Devnet block {Hash} connected at height {Height}")]
    private static partial void LogBlockAccepted(ILogger logger, long height, string hash);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Devnet rejected a block: {Reason}")]
    private static partial void LogBlockRejected(ILogger logger, string reason);
}
