using Polly;
using StratumProxy.Configuration;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

/// <summary>
/// An immutable snapshot of one cluster as configured: its options, destinations split into primaries and
/// backups with the policy's precomputed state, and the connect pipeline. Swapped whole on reload so a
/// session's routing decision never sees half a configuration.
/// </summary>
public sealed class ClusterModel
{
    internal ClusterModel(ClusterOptions options, ILoadBalancingPolicy policy, DestinationState[] destinations, ResiliencePipeline connectPipeline)
    {
        Options = options;
        Policy = policy;
        Destinations = destinations;
        Primaries = new DestinationTier([.. destinations.Where(d => !d.Settings.Backup)], policy);
        Backups = new DestinationTier([.. destinations.Where(d => d.Settings.Backup)], policy);
        ConnectPipeline = connectPipeline;
    }

    public ClusterOptions Options { get; }

    public ILoadBalancingPolicy Policy { get; }

    /// <summary>Every configured destination, in declared order.</summary>
    public DestinationState[] Destinations { get; }

    /// <summary>The configured destination of that name (names are case-insensitive, as configuration keys are).</summary>
    public DestinationState? FindDestination(string name) =>
        Array.Find(Destinations, d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));

    public DestinationTier Primaries { get; }

    /// <summary>Used only while no primary is eligible.</summary>
    public DestinationTier Backups { get; }

    /// <summary>Overall <c>ConnectTimeout</c>, retry to the next destination, per-attempt share of the budget.</summary>
    public ResiliencePipeline ConnectPipeline { get; }
}
