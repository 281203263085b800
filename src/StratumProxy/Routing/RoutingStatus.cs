namespace StratumProxy.Routing;

/// <summary>One destination as <c>/api/status</c> shows it.</summary>
public sealed record DestinationStatus(
    string Name,
    string Address,
    int Weight,
    bool Backup,
    int MaxConnections,
    bool Available,
    bool Draining,
    bool HeldByOperator,
    string ActiveHealth,
    DateTimeOffset? PassiveUnavailableUntil,
    int ActiveSessions,
    long TotalSessions,
    long ConnectFailures,
    long EarlyCloses,
    int ConsecutiveProbeSuccesses,
    int ConsecutiveProbeFailures);

/// <summary>One cluster as <c>/api/status</c> shows it.</summary>
public sealed record ClusterStatus(
    string Name,
    string LoadBalancingPolicy,
    string HashKey,
    bool ActiveHealthChecks,
    bool PassiveHealthChecks,
    IReadOnlyList<DestinationStatus> Destinations,
    IReadOnlyList<DestinationStatus> DrainingDestinations);

/// <summary>Reads the clusters' run-time state into plain records for the management API.</summary>
public static class RoutingStatus
{
    public static IReadOnlyList<ClusterStatus> Snapshot(ClusterRegistry registry, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow().UtcTicks;
        return [.. registry.Clusters.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(cluster => Snapshot(cluster, now))];
    }

    public static ClusterStatus Snapshot(ClusterState cluster, long nowUtcTicks)
    {
        var model = cluster.Model;
        return new ClusterStatus(
            cluster.Name,
            model.Policy.Name,
            model.Options.HashKey.ToString(),
            model.Options.HealthCheck.Active.Enabled,
            model.Options.HealthCheck.Passive.Enabled,
            [.. model.Destinations.Select(d => Snapshot(d, nowUtcTicks))],
            [.. cluster.DrainingDestinations.Select(d => Snapshot(d, nowUtcTicks))]);
    }

    public static DestinationStatus Snapshot(DestinationState destination, long nowUtcTicks)
    {
        var settings = destination.Settings;
        var until = destination.PassiveUnavailableUntilUtcTicks;
        return new DestinationStatus(
            destination.Name,
            destination.Address.ToString(),
            settings.Weight,
            settings.Backup,
            settings.MaxConnections,
            destination.IsAvailable(nowUtcTicks) && destination.HasCapacity,
            destination.IsDraining,
            destination.IsHeldByOperator,
            destination.ActiveHealth.ToString(),
            until > nowUtcTicks ? new DateTimeOffset(until, TimeSpan.Zero) : null,
            destination.ActiveSessions,
            destination.TotalSessions,
            destination.ConnectFailures,
            destination.EarlyCloses,
            destination.ConsecutiveProbeSuccesses,
            destination.ConsecutiveProbeFailures);
    }
}
