namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// Weighted least connections: the eligible destination with the fewest active sessions per unit of weight;
/// ties are broken uniformly at random so equal nodes share the load.
/// </summary>
public sealed class LeastConnectionsPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.LeastConnections;

    public object? CreateTierState(DestinationState[] destinations) => null;

    public DestinationState? Pick(DestinationTier tier, scoped in SelectionFilter filter, in RoutingKey key)
    {
        DestinationState? best = null;
        long bestActive = 0;
        long bestWeight = 1;
        var ties = 0;
        foreach (var destination in tier.Destinations)
        {
            if (!filter.IsEligible(destination))
            {
                continue;
            }

            long active = destination.ActiveSessions;
            long weight = destination.Settings.Weight;
            if (best is null)
            {
                (best, bestActive, bestWeight, ties) = (destination, active, weight, 1);
                continue;
            }

            // active/weight < bestActive/bestWeight without division.
            var comparison = (active * bestWeight).CompareTo(bestActive * weight);
            if (comparison < 0)
            {
                (best, bestActive, bestWeight, ties) = (destination, active, weight, 1);
            }
            else if (comparison == 0 && Random.Shared.Next(++ties) == 0)
            {
                (best, bestActive, bestWeight) = (destination, active, weight);
            }
        }

        return best;
    }
}
