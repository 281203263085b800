namespace StratumProxy.Routing.LoadBalancing;

/// <summary>The policy names operators may write in <c>LoadBalancingPolicy</c>.</summary>
public static class LoadBalancingPolicyNames
{
    /// <summary>Fewest active sessions relative to weight.</summary>
    public const string LeastConnections = "LeastConnections";

    /// <summary>Smooth weighted round robin, as nginx does it.</summary>
    public const string RoundRobin = "RoundRobin";

    /// <summary>Two weighted random candidates, the less loaded one wins.</summary>
    public const string PowerOfTwoChoices = "PowerOfTwoChoices";

    /// <summary>Consistent hashing of the cluster's <c>HashKey</c>.</summary>
    public const string Hash = "Hash";

    /// <summary>The first available destination in declared order.</summary>
    public const string First = "First";
}
