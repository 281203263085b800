namespace StratumProxy.Filtering;

public sealed partial class ConnectionLimitMiddleware
{
    [LoggerMessage(EventId = 4032, Level = LogLevel.Debug, Message = "Refused {Address} on {Listener}: {Reason}")]
    private partial void LogRefused(System.Net.IPAddress address, string listener, string reason);
}
