namespace StratumProxy.Acme;

public sealed partial class AcmeRenewalService
{
    [LoggerMessage(EventId = 3120, Level = LogLevel.Information, Message = "Serving the stored ACME certificate for {Host} (valid until {NotAfter:u}, renewal due {RenewAt:u})")]
    private static partial void LogServingStored(ILogger logger, string host, DateTimeOffset notAfter, DateTimeOffset renewAt);

    [LoggerMessage(EventId = 3121, Level = LogLevel.Warning, Message = "No valid ACME certificate stored for {Host}: serving the self-signed fallback until the order completes")]
    private static partial void LogServingFallback(ILogger logger, string host);

    [LoggerMessage(EventId = 3122, Level = LogLevel.Warning, Message = "ACME order for {Host} failed ({Reason}); next attempt in {Delay}")]
    private static partial void LogRetryScheduled(ILogger logger, string host, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 3123, Level = LogLevel.Information, Message = "ARI window for {Host}: {Start:u} to {End:u}")]
    private static partial void LogRenewalInfo(ILogger logger, string host, DateTimeOffset start, DateTimeOffset end);

    [LoggerMessage(EventId = 3124, Level = LogLevel.Debug, Message = "ARI renewalInfo for {Host} not available: {Reason}")]
    private static partial void LogRenewalInfoFailed(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = 3125, Level = LogLevel.Warning, Message = "Stored ACME certificate for {Host} is unreadable ({Reason}); ordering a new one")]
    private static partial void LogStoredUnreadable(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = 3126, Level = LogLevel.Warning, Message = "Acme:RenewBefore ({RenewBefore}) is not shorter than the lifetime of {Host}'s certificate ({Lifetime}); renewing after a third of the lifetime instead")]
    private static partial void LogRenewBeforeTooLong(ILogger logger, string host, TimeSpan renewBefore, TimeSpan lifetime);
}
