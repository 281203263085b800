using Prometheus;

namespace StratumProxy.Routing;

/// <summary>Metrics of destination selection and connecting.</summary>
public sealed class RoutingMetrics
{
    private readonly Counter _connectFailures;

    public RoutingMetrics(IMetricFactory factory)
    {
        _connectFailures = factory.CreateCounter(
            "stratum_proxy_connect_failures_total",
            "Connect attempts to a destination that failed or timed out.",
            ["cluster", "destination"]);
    }

    public void CountConnectFailure(DestinationState destination) =>
        _connectFailures.WithLabels([destination.Cluster.Name, destination.Name]).Inc();
}
