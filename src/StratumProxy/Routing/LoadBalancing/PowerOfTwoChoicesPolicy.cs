namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// Power of two choices, weighted: draws two distinct eligible destinations with probability proportional to
/// weight and takes the one with fewer active sessions per unit of weight. Near least-connections balance
/// without every proxy instance herding onto the same least-loaded node.
/// </summary>
public sealed class PowerOfTwoChoicesPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.PowerOfTwoChoices;

    public object? CreateTierState(DestinationState[] destinations) => null;

    public DestinationState? Pick(DestinationTier tier, scoped in SelectionFilter filter, in RoutingKey key)
    {
        var destinations = tier.Destinations;
        long totalWeight = 0;
        DestinationState? only = null;
        var count = 0;
        foreach (var destination in destinations)
        {
            if (filter.IsEligible(destination))
            {
                totalWeight += destination.Settings.Weight;
                only = destination;
                count++;
            }
        }

        if (count <= 1)
        {
            return only;
        }

        var first = Draw(destinations, filter, totalWeight, skip: null) ?? only;
        var second = Draw(destinations, filter, totalWeight - first!.Settings.Weight, skip: first);
        if (second is null)
        {
            return first;
        }

        var comparison = ((long)first.ActiveSessions * second.Settings.Weight).CompareTo((long)second.ActiveSessions * first.Settings.Weight);
        return comparison < 0 || (comparison == 0 && Random.Shared.Next(2) == 0) ? first : second;
    }

    private static DestinationState? Draw(DestinationState[] destinations, scoped in SelectionFilter filter, long totalWeight, DestinationState? skip)
    {
        if (totalWeight <= 0)
        {
            return null;
        }

        var target = Random.Shared.NextInt64(totalWeight);
        DestinationState? last = null;
        foreach (var destination in destinations)
        {
            if (ReferenceEquals(destination, skip) || !filter.IsEligible(destination))
            {
                continue;
            }

            last = destination;
            target -= destination.Settings.Weight;
            if (target < 0)
            {
                return destination;
            }
        }

        // Eligibility changed between the passes: settle for the last eligible one seen.
        return last;
    }
}
