using StratumProxy.Configuration;
using StratumProxy.Routing;

namespace StratumProxy.Health;

/// <summary>One way of asking a destination whether it can serve miners.</summary>
public interface IHealthProbe
{
    /// <summary>Probes <paramref name="address"/>; the token carries the probe timeout, and its firing is a result, not an exception.</summary>
    Task<HealthProbeResult> ProbeAsync(DestinationAddress address, ActiveHealthCheckOptions options, CancellationToken cancellationToken);
}
