namespace StratumProxy.Routing;

public sealed partial class ClusterRegistry
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Cluster {Cluster} added")]
    private partial void LogClusterAdded(string cluster);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Cluster {Cluster} removed; its destinations drain")]
    private partial void LogClusterRemoved(string cluster);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Destination {Cluster}/{Destination} at {Address} added")]
    private partial void LogDestinationAdded(string cluster, string destination, string address);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Destination {Cluster}/{Destination} removed; draining {Sessions} session(s)")]
    private partial void LogDestinationDraining(string cluster, string destination, int sessions);
}
