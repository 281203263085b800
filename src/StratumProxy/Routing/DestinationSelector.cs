using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

/// <summary>
/// The selection rule: eligible primaries by the cluster's policy; only when none is eligible, the backups by
/// the same rule. The slot is taken atomically, so a destination's cap holds however many sessions race for it.
/// </summary>
public static class DestinationSelector
{
    /// <summary>A lease on the chosen destination, or null when no destination is eligible.</summary>
    public static DestinationLease? TryAcquire(ClusterModel model, long nowUtcTicks, in RoutingKey key, ReadOnlySpan<DestinationState> excluded)
    {
        var filter = new SelectionFilter(nowUtcTicks, excluded);
        return TryAcquire(model.Primaries, model.Policy, filter, key) ?? TryAcquire(model.Backups, model.Policy, filter, key);
    }

    private static DestinationLease? TryAcquire(DestinationTier tier, ILoadBalancingPolicy policy, scoped in SelectionFilter filter, in RoutingKey key)
    {
        // A pick can lose the last slot to a racing session; the loser is then at its cap and no longer eligible,
        // so a few more picks settle it. Bounded in case slots keep freeing and filling under us.
        for (var attempt = 0; attempt <= tier.Destinations.Length; attempt++)
        {
            var destination = policy.Pick(tier, filter, key);
            if (destination is null)
            {
                return null;
            }

            if (destination.TryAcquire())
            {
                return new DestinationLease(destination);
            }
        }

        return null;
    }
}
