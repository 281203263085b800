using System.Runtime.InteropServices;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

/// <summary>The state of one <see cref="DestinationConnector.ConnectAsync(ClusterState, RoutingKey, CancellationToken)"/> call across its retries.</summary>
internal sealed class ConnectAttempt(ClusterState cluster, ClusterModel model, RoutingKey key, CancellationToken callerToken)
{
    private readonly long _started = cluster.TimeProvider.GetTimestamp();

    public ClusterState Cluster { get; } = cluster;

    public ClusterModel Model { get; } = model;

    public RoutingKey Key { get; } = key;

    /// <summary>The caller's token: when it fires, the miner is gone and no destination is to blame.</summary>
    public CancellationToken CallerToken { get; } = callerToken;

    /// <summary>Destinations tried so far, excluded from later attempts.</summary>
    public List<DestinationState> Tried { get; } = new(4);

    public ReadOnlySpan<DestinationState> TriedSpan => CollectionsMarshal.AsSpan(Tried);

    /// <summary>What is left of the cluster's <c>ConnectTimeout</c> since the connect began.</summary>
    public TimeSpan RemainingBudget() => Model.Options.ConnectTimeout - Cluster.TimeProvider.GetElapsedTime(_started);

    /// <summary>What is left of the budget, split evenly over the destinations still to try.</summary>
    public TimeSpan NextAttemptTimeout()
    {
        var remaining = RemainingBudget();
        var filter = new SelectionFilter(Cluster.TimeProvider.GetUtcNow().UtcTicks, TriedSpan);
        var candidates = CountEligible(Model.Primaries, filter);
        if (candidates == 0)
        {
            candidates = CountEligible(Model.Backups, filter);
        }

        return remaining / Math.Max(1, candidates);
    }

    private static int CountEligible(DestinationTier tier, scoped in SelectionFilter filter)
    {
        var count = 0;
        foreach (var destination in tier.Destinations)
        {
            if (filter.IsEligible(destination))
            {
                count++;
            }
        }

        return count;
    }
}
