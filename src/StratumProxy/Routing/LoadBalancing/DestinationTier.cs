namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// The primaries or the backups of one cluster snapshot, in declared order, with whatever the cluster's policy
/// precomputed for them (a hash ring, round-robin weights). Immutable apart from that policy state.
/// </summary>
public sealed class DestinationTier
{
    public DestinationTier(DestinationState[] destinations, ILoadBalancingPolicy policy)
    {
        Destinations = destinations;
        PolicyState = policy.CreateTierState(destinations);
    }

    public DestinationState[] Destinations { get; }

    /// <summary>What <see cref="ILoadBalancingPolicy.CreateTierState"/> returned for this tier.</summary>
    public object? PolicyState { get; }
}
