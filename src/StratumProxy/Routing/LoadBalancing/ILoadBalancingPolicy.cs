namespace StratumProxy.Routing.LoadBalancing;

/// <summary>A way to choose among the eligible destinations of a tier; named in configuration.</summary>
public interface ILoadBalancingPolicy
{
    /// <summary>The name operators write in <c>LoadBalancingPolicy</c>.</summary>
    string Name { get; }

    /// <summary>Precomputes per-tier state once per configuration snapshot (never per session).</summary>
    object? CreateTierState(DestinationState[] destinations);

    /// <summary>An eligible destination of <paramref name="tier"/>, or null when none is.</summary>
    DestinationState? Pick(DestinationTier tier, scoped in SelectionFilter filter, in RoutingKey key);
}
