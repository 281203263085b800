using StratumProxy.Configuration;

namespace StratumProxy.Health;

public sealed partial class ActiveHealthChecker
{
    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Active health checks of cluster {Cluster}: {Probe} probe every {Interval}")]
    private partial void LogLoopStarted(string cluster, HealthProbeKind probe, TimeSpan interval);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Destination {Cluster}/{Destination} unhealthy after {Failures} failed probe(s), last: {Result}")]
    private partial void LogBecameUnhealthy(string cluster, string destination, int failures, string result);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Destination {Cluster}/{Destination} healthy again after {Successes} successful probe(s)")]
    private partial void LogBecameHealthy(string cluster, string destination, int successes);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Debug, Message = "Destination {Cluster}/{Destination} passed its first probe")]
    private partial void LogFirstHealthy(string cluster, string destination);

    [LoggerMessage(EventId = 3305, Level = LogLevel.Warning, Message = "Health probe of {Cluster}/{Destination} failed unexpectedly")]
    private partial void LogProbeError(string cluster, string destination, Exception exception);
}
