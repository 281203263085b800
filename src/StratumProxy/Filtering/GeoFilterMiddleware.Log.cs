namespace StratumProxy.Filtering;

public sealed partial class GeoFilterMiddleware
{
    [LoggerMessage(EventId = 4031, Level = LogLevel.Debug, Message = "Refused {Address} on {Listener}: country {Country} not allowed")]
    private partial void LogRefused(System.Net.IPAddress address, string listener, string country);
}
