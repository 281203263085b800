using StratumProxy.Configuration;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

/// <summary>
/// Checks the <c>Proxy:Clusters</c> section and returns every problem, each message naming its key, so
/// configuration validation can report them all at once and refuse the whole configuration.
/// </summary>
public static class RoutingOptionsValidator
{
    public static IReadOnlyList<string> Validate(ProxyOptions options, LoadBalancingPolicyRegistry policies)
    {
        var errors = new List<string>();
        foreach (var (name, cluster) in options.Clusters)
        {
            Validate($"{ProxyOptions.SectionName}:Clusters:{name}", cluster, policies, errors);
        }

        return errors;
    }

    public static void Validate(string key, ClusterOptions cluster, LoadBalancingPolicyRegistry policies, List<string> errors)
    {
        if (!policies.TryGet(cluster.LoadBalancingPolicy, out _))
        {
            errors.Add($"{key}:LoadBalancingPolicy: unknown policy '{cluster.LoadBalancingPolicy}'; expected one of {string.Join(", ", policies.Names)}.");
        }

        if (!Enum.IsDefined(cluster.HashKey))
        {
            errors.Add($"{key}:HashKey: unknown value '{cluster.HashKey}'; expected ClientIp or Worker.");
        }

        if (cluster.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{key}:ConnectTimeout: must be positive, got {cluster.ConnectTimeout}.");
        }

        var active = cluster.HealthCheck.Active;
        if (active.Enabled)
        {
            if (active.Interval <= TimeSpan.Zero)
            {
                errors.Add($"{key}:HealthCheck:Active:Interval: must be positive, got {active.Interval}.");
            }

            if (active.Timeout <= TimeSpan.Zero)
            {
                errors.Add($"{key}:HealthCheck:Active:Timeout: must be positive, got {active.Timeout}.");
            }

            if (active.UnhealthyThreshold < 1)
            {
                errors.Add($"{key}:HealthCheck:Active:UnhealthyThreshold: must be at least 1, got {active.UnhealthyThreshold}.");
            }

            if (active.HealthyThreshold < 1)
            {
                errors.Add($"{key}:HealthCheck:Active:HealthyThreshold: must be at least 1, got {active.HealthyThreshold}.");
            }

            if (active.ExpectJob && active.Probe != HealthProbeKind.Stratum)
            {
                errors.Add($"{key}:HealthCheck:Active:ExpectJob: needs \"Probe\": \"Stratum\".");
            }

            if (active.ExpectJob && string.IsNullOrEmpty(active.ProbeWorker))
            {
                errors.Add($"{key}:HealthCheck:Active:ProbeWorker: required with ExpectJob.");
            }
        }

        var passive = cluster.HealthCheck.Passive;
        if (passive.Enabled)
        {
            if (passive.MaxFailures < 1)
            {
                errors.Add($"{key}:HealthCheck:Passive:MaxFailures: must be at least 1, got {passive.MaxFailures}.");
            }

            if (passive.FailTimeout <= TimeSpan.Zero)
            {
                errors.Add($"{key}:HealthCheck:Passive:FailTimeout: must be positive, got {passive.FailTimeout}.");
            }
        }

        if (cluster.Destinations.Count == 0)
        {
            errors.Add($"{key}:Destinations: the cluster has no destinations.");
        }

        foreach (var (name, destination) in cluster.Destinations)
        {
            var destinationKey = $"{key}:Destinations:{name}";
            if (!DestinationAddress.TryParse(destination.Address, out _, out var error))
            {
                errors.Add($"{destinationKey}:Address: {error}.");
            }

            if (destination.Weight < 1)
            {
                errors.Add($"{destinationKey}:Weight: must be at least 1, got {destination.Weight}.");
            }

            if (destination.MaxConnections < 0)
            {
                errors.Add($"{destinationKey}:MaxConnections: must be 0 (unlimited) or more, got {destination.MaxConnections}.");
            }
        }
    }
}
