namespace StratumProxy.Routing.LoadBalancing;

/// <summary>The first eligible destination in declared order: a primary with warm standbys.</summary>
public sealed class FirstPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.First;

    public object? CreateTierState(DestinationState[] destinations) => null;

    public DestinationState? Pick(DestinationTier tier, scoped in SelectionFilter filter, in RoutingKey key)
    {
        foreach (var destination in tier.Destinations)
        {
            if (filter.IsEligible(destination))
            {
                return destination;
            }
        }

        return null;
    }
}
