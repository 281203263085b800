namespace StratumProxy.Stratum;

public sealed partial class NotifyBroadcast
{
    [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "Pool node {Cluster}/{Destination}: {Count} sessions were sent a job early and then got another one of their own; its new jobs are no longer sent early (this node gives connections jobs of their own).")]
    private static partial void LogStopped(ILogger logger, string cluster, string destination, int count);
}
