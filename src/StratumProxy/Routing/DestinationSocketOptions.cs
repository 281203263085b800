namespace StratumProxy.Routing;

/// <summary>Socket settings for connections to destinations (TCP keepalive finds pools that vanished silently).</summary>
public sealed record DestinationSocketOptions
{
    /// <summary>Idle time before the first keepalive probe.</summary>
    public TimeSpan KeepAliveTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between unanswered keepalive probes.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes before the connection is dropped.</summary>
    public int KeepAliveRetryCount { get; init; } = 3;

    /// <summary>Stratum lines are small and latency matters: no Nagle.</summary>
    public bool NoDelay { get; init; } = true;
}
