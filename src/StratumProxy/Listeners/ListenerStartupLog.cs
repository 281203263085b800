using StratumProxy.Configuration;

namespace StratumProxy.Listeners;

/// <summary>Says, once the server has bound its ports, where each listener and the management endpoint really listen.</summary>
public static partial class ListenerStartupLog
{
    public static void Write(ILogger logger, ListenerEndpoints endpoints, ProxyOptions options)
    {
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

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Management endpoint on http://{EndPoint}/ (status page, /metrics, /api)")]
    private static partial void LogManagement(ILogger logger, string endPoint);
}
