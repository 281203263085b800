using Prometheus;

namespace StratumPool.Daemon;

/// <summary>
/// Daemon RPC metrics. Names, labels and buckets are those of the pool's metric set, so both resolve to the same
/// series in one registry.
/// </summary>
public sealed class DaemonMetrics(IMetricFactory factory)
{
    public Histogram RpcDuration { get; } = factory.CreateHistogram(
        "stratum_pool_daemon_rpc_duration_seconds",
        "Duration of JSON-RPC calls to the daemon, by method.",
        new HistogramConfiguration { LabelNames = ["method"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });

    public Counter RpcErrors { get; } = factory.CreateCounter(
        "stratum_pool_daemon_rpc_errors_total", "Failed JSON-RPC calls to the daemon, by method.", ["method"]);
}
