namespace StratumPool.Daemon;

public sealed partial class DaemonClient
{
    // Debug: the caller says what failed (and how often) at its own level; a node that is down would repeat this every tick.
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Daemon {Url} did not answer {Method}: {Reason}")]
    private static partial void LogDaemonUnreachable(ILogger logger, string url, string method, string reason);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Failed over to daemon {Url} for {Method}")]
    private static partial void LogFailedOver(ILogger logger, string url, string method);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Daemon error on {Method}: {Code} {Message}")]
    private static partial void LogRpcError(ILogger logger, string method, int code, string message);
}
