using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using StratumProxy.Configuration;
using StratumProxy.Health;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

/// <summary>
/// The clusters in force, by name. <see cref="Apply"/> takes a whole validated configuration and updates only
/// what changed; lookups read an immutable snapshot without locks.
/// </summary>
public sealed partial class ClusterRegistry
{
    private readonly Lock _applyGate = new();
    private readonly LoadBalancingPolicyRegistry _policies;
    private readonly HealthMetrics _healthMetrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ClusterRegistry> _logger;
    private FrozenDictionary<string, ClusterState> _clusters = FrozenDictionary<string, ClusterState>.Empty;

    public ClusterRegistry(LoadBalancingPolicyRegistry policies, HealthMetrics healthMetrics, TimeProvider timeProvider, ILogger<ClusterRegistry> logger)
    {
        _policies = policies;
        _healthMetrics = healthMetrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Raised after an <see cref="Apply"/> that changed something (the active health checker listens).</summary>
    public event EventHandler? Changed;

    /// <summary>The clusters now configured, for status and health checks.</summary>
    public IReadOnlyCollection<ClusterState> Clusters => Volatile.Read(ref _clusters).Values;

    public bool TryGetCluster(string name, [NotNullWhen(true)] out ClusterState? cluster) =>
        Volatile.Read(ref _clusters).TryGetValue(name, out cluster);

    /// <summary>
    /// Applies the <c>Clusters</c> section of <paramref name="options"/> all or nothing. Throws
    /// <see cref="RoutingConfigurationException"/> listing every problem, leaving the running clusters as they were.
    /// </summary>
    public void Apply(ProxyOptions options)
    {
        var errors = RoutingOptionsValidator.Validate(options, _policies);
        if (errors.Count > 0)
        {
            throw new RoutingConfigurationException(errors);
        }

        var changed = false;
        lock (_applyGate)
        {
            var current = Volatile.Read(ref _clusters);
            var next = new Dictionary<string, ClusterState>(StringComparer.OrdinalIgnoreCase);
            var now = _timeProvider.GetUtcNow().UtcTicks;
            foreach (var (name, clusterOptions) in options.Clusters)
            {
                if (!current.TryGetValue(name, out var cluster))
                {
                    cluster = new ClusterState(name, _timeProvider);
                    LogClusterAdded(name);
                    changed = true;
                }

                var update = cluster.Apply(clusterOptions, _policies.Get(clusterOptions.LoadBalancingPolicy));
                if (update.Changed)
                {
                    changed = true;
                    foreach (var removed in update.Removed)
                    {
                        _healthMetrics.Forget(removed);
                        LogDestinationDraining(name, removed.Name, removed.ActiveSessions);
                    }

                    foreach (var added in update.Added)
                    {
                        _healthMetrics.Publish(added, now);
                        LogDestinationAdded(name, added.Name, added.Address.ToString());
                    }
                }

                next[name] = cluster;
            }

            foreach (var (name, cluster) in current)
            {
                if (!next.ContainsKey(name))
                {
                    changed = true;
                    foreach (var destination in cluster.Retire())
                    {
                        _healthMetrics.Forget(destination);
                    }

                    LogClusterRemoved(name);
                }
            }

            if (changed)
            {
                Volatile.Write(ref _clusters, next.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
            }
        }

        if (changed)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }
    }
}
