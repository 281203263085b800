using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Tests.Routing.LoadBalancing;

public sealed class LoadBalancingPolicyRegistryTests
{
    [Theory]
    [InlineData("LeastConnections", typeof(LeastConnectionsPolicy))]
    [InlineData("roundrobin", typeof(RoundRobinPolicy))]
    [InlineData("POWEROFTWOCHOICES", typeof(PowerOfTwoChoicesPolicy))]
    [InlineData("Hash", typeof(HashPolicy))]
    [InlineData("first", typeof(FirstPolicy))]
    public void Finds_policies_by_name_ignoring_case(string name, Type expected)
    {
        var registry = LoadBalancingPolicyRegistry.CreateDefault();

        Assert.True(registry.TryGet(name, out var policy));
        Assert.IsType(expected, policy);
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_known_ones_listed()
    {
        var registry = LoadBalancingPolicyRegistry.CreateDefault();

        Assert.False(registry.TryGet("Random", out _));
        var error = Assert.Throws<ArgumentException>(() => registry.Get("Random"));
        Assert.Contains("LeastConnections", error.Message, StringComparison.Ordinal);
    }
}
