namespace StratumPool.Stratum;

public sealed partial class StratumSession
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Session {ConnectionId} subscribed ({UserAgent}), extranonce1 {ExtraNonce1}, resumed {Resumed}")]
    private partial void LogSubscribed(string connectionId, string userAgent, string extraNonce1, bool resumed);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Session {ConnectionId} authorized worker {Worker}")]
    private partial void LogAuthorized(string connectionId, string? worker);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Session {ConnectionId} refused worker {Worker}: {Reason}")]
    private partial void LogAuthorizeRefused(string connectionId, string? worker, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "Session {ConnectionId} called unknown method {Method}")]
    private partial void LogUnknownMethod(string connectionId, string? method);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Session {ConnectionId} share from {Worker} rejected: {Code} {Reason}")]
    private partial void LogShareRejected(string connectionId, string worker, int code, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Error, Message = "Session {ConnectionId}: share processing failed")]
    private partial void LogShareProcessingFailed(Exception exception, string connectionId);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Block {Height} {Hash} found by {Worker}, accepted by the daemon")]
    private partial void LogBlockFound(long height, string hash, string worker);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Error, Message = "Block candidate {Height} {Hash} rejected by the daemon: {Reason}")]
    private partial void LogBlockRejected(long height, string hash, string reason);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "Block {Height} {Hash} could not be recorded")]
    private partial void LogBlockNotRecorded(Exception exception, long height, string hash);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Error, Message = "Session {ConnectionId}: notify parameters for job {JobId} failed")]
    private partial void LogNotifyFailed(Exception exception, string connectionId, string jobId);
}
