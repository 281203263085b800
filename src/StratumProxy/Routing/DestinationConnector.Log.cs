namespace StratumProxy.Routing;

public sealed partial class DestinationConnector
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "No destination of cluster {Cluster} reachable ({Reason}) after {Attempts} attempt(s)")]
    private partial void LogNoDestination(string cluster, NoDestinationReason reason, int attempts);
}
