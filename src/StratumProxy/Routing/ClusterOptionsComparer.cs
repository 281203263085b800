using StratumProxy.Configuration;

namespace StratumProxy.Routing;

/// <summary>Structural comparisons of cluster options, to rebuild on reload only what changed.</summary>
internal static class ClusterOptionsComparer
{
    /// <summary>Everything but the destinations is the same.</summary>
    public static bool SameClusterSettings(ClusterOptions a, ClusterOptions b) =>
        string.Equals(a.LoadBalancingPolicy, b.LoadBalancingPolicy, StringComparison.OrdinalIgnoreCase)
        && a.HashKey == b.HashKey
        && a.ProxyProtocol == b.ProxyProtocol
        && a.ConnectTimeout == b.ConnectTimeout
        && a.HealthCheck == b.HealthCheck;

    /// <summary>Same destinations with the same settings, in the same order (order matters to <c>First</c>).</summary>
    public static bool SameDestinations(ClusterOptions a, ClusterOptions b) =>
        a.Destinations.Count == b.Destinations.Count
        && a.Destinations.Zip(b.Destinations).All(pair =>
            string.Equals(pair.First.Key, pair.Second.Key, StringComparison.OrdinalIgnoreCase) && pair.First.Value == pair.Second.Value);
}
