namespace StratumProxy.Health;

/// <summary>The outcome of one active probe.</summary>
public enum HealthProbeResult
{
    Success,

    /// <summary>The TCP connect was refused or failed.</summary>
    ConnectFailed,

    /// <summary>No (complete) answer within the probe timeout.</summary>
    Timeout,

    /// <summary>The pool answered with an error, something that is not JSON-RPC, or closed the connection.</summary>
    BadResponse,

    /// <summary>The pool refused the probe worker's <c>mining.authorize</c>.</summary>
    Unauthorized,

    /// <summary>Subscribed and authorized, but no <c>mining.notify</c> came within the timeout (no block template).</summary>
    NoJob,
}

public static class HealthProbeResultExtensions
{
    /// <summary>The <c>result</c> label of <c>stratum_proxy_health_probes_total</c>.</summary>
    public static string MetricLabel(this HealthProbeResult result) => result switch
    {
        HealthProbeResult.Success => "success",
        HealthProbeResult.ConnectFailed => "connect_failed",
        HealthProbeResult.Timeout => "timeout",
        HealthProbeResult.BadResponse => "bad_response",
        HealthProbeResult.Unauthorized => "unauthorized",
        HealthProbeResult.NoJob => "no_job",
        _ => "unknown",
    };
}
