using Prometheus;
using StratumProxy.Routing;

namespace StratumProxy.Health;

/// <summary>Destination health as Prometheus sees it.</summary>
public sealed class HealthMetrics
{
    private readonly Gauge _healthy;
    private readonly Counter _probes;
    private readonly Gauge _drained;

    public HealthMetrics(IMetricFactory factory)
    {
        _healthy = factory.CreateGauge(
            "stratum_proxy_destination_healthy",
            "1 while the destination is neither actively unhealthy nor passively failed, else 0.",
            ["cluster", "destination"]);
        _probes = factory.CreateCounter(
            "stratum_proxy_health_probes_total",
            "Active health probes by outcome (success, connect_failed, timeout, bad_response, unauthorized, no_job).",
            ["cluster", "destination", "result"]);
        _drained = factory.CreateGauge(
            "stratum_proxy_destination_drained",
            "1 while the operator holds the destination out of rotation through the management API (drain), else 0.",
            ["cluster", "destination"]);
    }

    /// <summary>Sets the gauge from the destination's current health.</summary>
    public void Publish(DestinationState destination, long nowUtcTicks) =>
        _healthy.WithLabels([destination.Cluster.Name, destination.Name]).Set(destination.IsHealthy(nowUtcTicks) ? 1 : 0);

    /// <summary>Sets the drained gauge from the operator's hold on the destination.</summary>
    public void PublishDrained(DestinationState destination) =>
        _drained.WithLabels([destination.Cluster.Name, destination.Name]).Set(destination.IsHeldByOperator ? 1 : 0);

    public void CountProbe(DestinationState destination, HealthProbeResult result) =>
        _probes.WithLabels([destination.Cluster.Name, destination.Name, result.MetricLabel()]).Inc();

    /// <summary>Drops the series of a destination that left the configuration.</summary>
    public void Forget(DestinationState destination)
    {
        _healthy.RemoveLabelled(destination.Cluster.Name, destination.Name);
        _drained.RemoveLabelled(destination.Cluster.Name, destination.Name);
    }
}
