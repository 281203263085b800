using Prometheus;

namespace StratumPool.Metrics;

/// <summary>The pool's Prometheus metrics, created through an injected factory so tests can isolate them.</summary>
public sealed class PoolMetrics
{
    public PoolMetrics(IMetricFactory factory)
    {
        Shares = factory.CreateCounter("stratum_pool_shares_total", "Shares submitted by miners, by result.", ["result"]);
        BlocksFound = factory.CreateCounter("stratum_pool_blocks_found_total", "Block candidates found by the pool, by status.", ["status"]);
        ConnectedWorkers = factory.CreateGauge("stratum_pool_connected_workers", "Authorized workers on open Stratum sessions.");
        Sessions = factory.CreateGauge("stratum_pool_sessions", "Open Stratum sessions.");
        SessionsClosed = factory.CreateCounter("stratum_pool_sessions_closed_total", "Stratum sessions closed by the pool, by reason.", ["reason"]);
        JobAge = factory.CreateGauge("stratum_pool_job_age_seconds", "Age of the newest job.");
        Hashrate = factory.CreateGauge("stratum_pool_hashrate", "Pool hashrate (hashes per second) estimated from accepted shares.");
        DaemonRpcDuration = factory.CreateHistogram(
            "stratum_pool_daemon_rpc_duration_seconds",
            "Duration of JSON-RPC calls to the daemon, by method.",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        DaemonRpcErrors = factory.CreateCounter("stratum_pool_daemon_rpc_errors_total", "Failed JSON-RPC calls to the daemon, by method.", ["method"]);
        ShareStoreLatency = factory.CreateHistogram(
            "stratum_pool_share_store_commit_seconds",
            "Time from a share being queued to its batch being committed.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0001, 2, 14) });
    }

    /// <summary>By <c>result</c>: accepted, job_not_found, duplicate, low_difficulty, unauthorized, not_subscribed, invalid, error.</summary>
    public Counter Shares { get; }

    /// <summary>By <c>status</c>: pending (accepted by the daemon), rejected, confirmed, orphaned.</summary>
    public Counter BlocksFound { get; }

    public Gauge ConnectedWorkers { get; }

    public Gauge Sessions { get; }

    /// <summary>By <c>reason</c>: malformed, line_too_long, handshake_timeout, write_failed.</summary>
    public Counter SessionsClosed { get; }

    public Gauge JobAge { get; }

    public Gauge Hashrate { get; }

    public Histogram DaemonRpcDuration { get; }

    public Counter DaemonRpcErrors { get; }

    public Histogram ShareStoreLatency { get; }

    /// <summary>The metric label for a Stratum error code.</summary>
    public static string ShareResultLabel(int errorCode) => errorCode switch
    {
        0 => "accepted",
        21 => "job_not_found",
        22 => "duplicate",
        23 => "low_difficulty",
        24 => "unauthorized",
        25 => "not_subscribed",
        _ => "invalid",
    };
}
