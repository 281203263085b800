using System.Net;

namespace StratumProxy.Filtering;

public sealed partial class BanPolicy
{
    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning,
        Message = "Banned {Address} until {ExpiresAt:u}: {Invalid} of {Total} shares rejected")]
    private partial void LogBannedForInvalidShares(IPAddress address, int invalid, int total, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning,
        Message = "Banned {Address} until {ExpiresAt:u}: {Count} malformed lines")]
    private partial void LogBannedForMalformedLines(IPAddress address, int count, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "Ban on {Address} lifted")]
    private partial void LogLifted(IPAddress address);
}
