namespace StratumProxy.Filtering;

public sealed partial class BanFilterMiddleware
{
    [LoggerMessage(EventId = 4030, Level = LogLevel.Debug, Message = "Refused {Address} on {Listener}: banned until {ExpiresAt:u}")]
    private partial void LogRefused(System.Net.IPAddress address, string listener, DateTimeOffset expiresAt);
}
