namespace StratumProxy.Health;

public sealed partial class PassiveHealthMonitor
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Connect to {Cluster}/{Destination} failed: {Reason}")]
    private partial void LogConnectFailed(string cluster, string destination, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "{Cluster}/{Destination} closed a session before answering its first request")]
    private partial void LogEarlyClose(string cluster, string destination);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Destination {Cluster}/{Destination} unavailable after {MaxFailures} failure(s); out for {FailTimeout}")]
    private partial void LogUnavailable(string cluster, string destination, int maxFailures, TimeSpan failTimeout);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Destination {Cluster}/{Destination} available again after its passive fail timeout")]
    private partial void LogAvailableAgain(string cluster, string destination);
}
