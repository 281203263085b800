using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace StratumProxy.Routing.LoadBalancing;

/// <summary>Policies by name (case-insensitive), for cluster building and for configuration validation.</summary>
public sealed class LoadBalancingPolicyRegistry
{
    private readonly FrozenDictionary<string, ILoadBalancingPolicy> _policies;

    public LoadBalancingPolicyRegistry(IEnumerable<ILoadBalancingPolicy> policies)
    {
        _policies = policies.ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The built-in policies.</summary>
    public static LoadBalancingPolicyRegistry CreateDefault() => new(
    [
        new LeastConnectionsPolicy(),
        new RoundRobinPolicy(),
        new PowerOfTwoChoicesPolicy(),
        new HashPolicy(),
        new FirstPolicy(),
    ]);

    /// <summary>Known names, for error messages.</summary>
    public IEnumerable<string> Names => _policies.Keys;

    public bool TryGet(string? name, [NotNullWhen(true)] out ILoadBalancingPolicy? policy)
    {
        policy = null;
        return name is not null && _policies.TryGetValue(name, out policy);
    }

    public ILoadBalancingPolicy Get(string name) =>
        TryGet(name, out var policy)
            ? policy
            : throw new ArgumentException($"Unknown load balancing policy '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));
}
