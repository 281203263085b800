using StratumPool.Chain;

namespace StratumPool.Daemon;

/// <summary>Where the daemons are: the configured list, or the in-process devnet once it listens.</summary>
public interface IDaemonEndpointSource
{
    ValueTask<IReadOnlyList<DaemonEndpointOptions>> GetEndpointsAsync(CancellationToken cancellationToken);
}

/// <summary>The daemons of <c>Pool:Daemons</c>.</summary>
public sealed class ConfiguredDaemonEndpoints(IReadOnlyList<DaemonEndpointOptions> endpoints) : IDaemonEndpointSource
{
    public ValueTask<IReadOnlyList<DaemonEndpointOptions>> GetEndpointsAsync(CancellationToken cancellationToken) => new(endpoints);
}
