using StratumProxy.Configuration;
using StratumProxy.Filtering;

namespace StratumProxy.Listeners;

/// <summary>Says, once the server has bound its ports, where each listener and the management endpoint really listen.</summary>
public static partial class ListenerStartupLog
{
    /// <summary>Below this many miners the open-files limit is worth a warning: a pool's farm can outgrow it.</summary>
    public const int LowMinerCapacity = 10_000;

    public static void Write(ILogger logger, ListenerEndpoints endpoints, ProxyOptions options, DescriptorBudget? descriptors = null)
    {
        if (descriptors is { MaxSessions: < int.MaxValue } budget)
        {
            var capacity = budget.Cap(options.Limits.MaxConnections);
            if (budget.MaxSessions < LowMinerCapacity && capacity == budget.MaxSessions)
            {
                LogLowCapacity(logger, capacity);
            }
            else
            {
                LogCapacity(logger, capacity);
            }
        }

        foreach (var (name, listener) in options.Listeners.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            var bound = endpoints.GetBoundEndPoint(name)?.ToString() ?? listener.Endpoint ?? "";
            LogListening(logger, name, listener.Tls is null ? "stratum+tcp" : "stratum+ssl", bound, listener.Cluster ?? "");
        }

        if (endpoints.ManagementEndPoint is { } management)
        {
            LogManagement(logger, management.ToString());
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Listener {Listener} ({Scheme}) on {EndPoint} forwards to cluster {Cluster}")]
    private static partial void LogListening(ILogger logger, string listener, string scheme, string endPoint, string cluster);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information, Message = "Room for {Miners} miners (open-files limit and Limits:MaxConnections); more are refused at the door")]
    private static partial void LogCapacity(ILogger logger, int miners);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "The open-files limit leaves room for only {Miners} miners (two descriptors each); raise it (LimitNOFILE, ulimit -n) or more miners are refused at the door")]
    private static partial void LogLowCapacity(ILogger logger, int miners);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Management endpoint on http://{EndPoint}/ (status page, /metrics, /api)")]
    private static partial void LogManagement(ILogger logger, string endPoint);
}
