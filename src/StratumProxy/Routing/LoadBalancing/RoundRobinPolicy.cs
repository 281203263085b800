namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// nginx's smooth weighted round robin: weights 5/1/1 give a,a,b,a,c,a,a rather than a,a,a,a,a,b,c.
/// Each pick adds every eligible destination's weight to its running value, takes the largest and subtracts
/// the total from it. The running values are per tier, under a lock held for a few additions.
/// </summary>
public sealed class RoundRobinPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.RoundRobin;

    public object? CreateTierState(DestinationState[] destinations) => new RoundRobinState(destinations.Length);

    public DestinationState? Pick(DestinationTier tier, scoped in SelectionFilter filter, in RoutingKey key)
    {
        var state = (RoundRobinState)tier.PolicyState!;
        var destinations = tier.Destinations;
        lock (state.Gate)
        {
            long total = 0;
            var best = -1;
            for (var i = 0; i < destinations.Length; i++)
            {
                if (!filter.IsEligible(destinations[i]))
                {
                    continue;
                }

                var weight = destinations[i].Settings.Weight;
                state.Current[i] += weight;
                total += weight;
                if (best < 0 || state.Current[i] > state.Current[best])
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                return null;
            }

            state.Current[best] -= total;
            return destinations[best];
        }
    }

    private sealed class RoundRobinState(int count)
    {
        public Lock Gate { get; } = new();

        public long[] Current { get; } = new long[count];
    }
}
