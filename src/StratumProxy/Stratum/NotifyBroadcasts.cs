using System.Collections.Concurrent;
using StratumProxy.Management;

namespace StratumProxy.Stratum;

/// <summary>The <see cref="NotifyBroadcast"/> of each pool node sessions are relayed to, by cluster and destination.</summary>
public sealed class NotifyBroadcasts(ProxyMetrics metrics, ILogger<NotifyBroadcast> logger)
{
    private readonly ConcurrentDictionary<(string Cluster, string Destination), NotifyBroadcast> _nodes = new();

    public NotifyBroadcast For(string cluster, string destination) =>
        _nodes.GetOrAdd(
            (cluster, destination),
            static (node, self) => new NotifyBroadcast(node.Cluster, node.Destination, new BroadcastCounters(self.metrics, node.Cluster, node.Destination), self.logger),
            (metrics, logger));
}

/// <summary>One node's series of jobs sent early, own copies dropped, and sessions found to get jobs of their own.</summary>
internal sealed class BroadcastCounters(ProxyMetrics metrics, string cluster, string destination)
{
    public StripedCounter Early { get; } = metrics.Striped(metrics.NotifySentEarly.WithLabels([cluster, destination]));

    public StripedCounter Dropped { get; } = metrics.Striped(metrics.NotifyDuplicatesDropped.WithLabels([cluster, destination]));

    public StripedCounter Mismatches { get; } = metrics.Striped(metrics.NotifyMismatches.WithLabels([cluster, destination]));
}
