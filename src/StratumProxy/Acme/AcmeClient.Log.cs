namespace StratumProxy.Acme;

internal sealed partial class AcmeClient
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "ACME directory {DirectoryUrl} read (ARI renewalInfo offered: {HasRenewalInfo})")]
    private static partial void LogDirectory(ILogger logger, Uri directoryUrl, bool hasRenewalInfo);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "ACME account {AccountUrl} ready (newly created: {Created})")]
    private static partial void LogAccount(ILogger logger, string accountUrl, bool created);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "ACME badNonce on {Url}; retrying with the fresh nonce (attempt {Attempt})")]
    private static partial void LogBadNonce(ILogger logger, string url, int attempt);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "ACME problem from {Url} (HTTP {Status}): {ProblemType}: {ProblemDetail}")]
    private static partial void LogProblem(ILogger logger, string url, int status, string? problemType, string? problemDetail);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "ACME request failed transiently ({Reason}); retry {Attempt}")]
    private static partial void LogTransient(ILogger logger, int attempt, string? reason);
}
