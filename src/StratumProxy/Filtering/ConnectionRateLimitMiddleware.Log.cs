namespace StratumProxy.Filtering;

public sealed partial class ConnectionRateLimitMiddleware
{
    [LoggerMessage(EventId = 4033, Level = LogLevel.Debug, Message = "Refused {Address} on {Listener}: more than {PerMinute} new connections a minute")]
    private partial void LogRefused(System.Net.IPAddress address, string listener, int perMinute);
}
