namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// Consistent hashing of the session's <see cref="RoutingKey"/> on a ring of virtual nodes; an unavailable
/// destination is skipped by walking on, so only its own keys move.
/// </summary>
public sealed class HashPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.Hash;

    public object? CreateTierState(DestinationState[] destinations) => new ConsistentHashRing(destinations);

    public DestinationState? Pick(DestinationTier tier, scoped in SelectionFilter filter, in RoutingKey key) =>
        ((ConsistentHashRing)tier.PolicyState!).Find(key.HasValue ? key.Hash : 0, filter);
}
