namespace StratumProxy.Routing;

/// <summary>The cluster configuration is invalid; nothing of it was applied.</summary>
public sealed class RoutingConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid cluster configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors))
{
    /// <summary>One message per problem, each naming its configuration key.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
