using StratumProxy.Configuration;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

/// <summary>
/// One cluster at run time. Its <see cref="Model"/> is an immutable snapshot swapped atomically on reload;
/// the state object itself, and the <see cref="DestinationState"/> of every destination whose name and address
/// did not change, live as long as the cluster stays configured.
/// </summary>
public sealed class ClusterState
{
    private readonly Lock _drainingGate = new();
    private ClusterModel? _model;
    private DestinationState[] _draining = [];
    private int _removed;

    internal ClusterState(string name, TimeProvider timeProvider)
    {
        Name = name;
        TimeProvider = timeProvider;
    }

    public string Name { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>The configuration snapshot in force; read it once per decision.</summary>
    public ClusterModel Model => Volatile.Read(ref _model) ?? throw new InvalidOperationException($"Cluster '{Name}' has no configuration yet.");

    /// <summary>Destinations removed by a reload that still carry sessions.</summary>
    public IReadOnlyList<DestinationState> DrainingDestinations =>
        Array.FindAll(Volatile.Read(ref _draining), d => d.ActiveSessions > 0);

    /// <summary>The cluster was removed from the configuration; its destinations are draining.</summary>
    public bool IsRemoved => Volatile.Read(ref _removed) != 0;

    /// <summary>
    /// Picks a destination by the cluster's policy and takes a session slot on it, without connecting;
    /// null when none is eligible. <see cref="DestinationConnector"/> does this and the connect.
    /// </summary>
    public DestinationLease? TryAcquireDestination(in RoutingKey key, ReadOnlySpan<DestinationState> excluded = default) =>
        DestinationSelector.TryAcquire(Model, TimeProvider.GetUtcNow().UtcTicks, key, excluded);

    /// <summary>
    /// Applies new options: nothing happens when they are unchanged; otherwise a new snapshot is built that keeps
    /// the state of every destination with the same name and address, and destinations no longer configured drain.
    /// </summary>
    internal ClusterUpdate Apply(ClusterOptions options, ILoadBalancingPolicy policy)
    {
        var old = Volatile.Read(ref _model);
        if (old is not null && ClusterOptionsComparer.SameClusterSettings(old.Options, options) && ClusterOptionsComparer.SameDestinations(old.Options, options))
        {
            return ClusterUpdate.Unchanged;
        }

        var pipeline = old is not null && old.Options.ConnectTimeout == options.ConnectTimeout
            ? old.ConnectPipeline
            : ConnectPipeline.Create(options.ConnectTimeout, TimeProvider);

        var previous = old?.Destinations.ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase)
            ?? new Dictionary<string, DestinationState>(StringComparer.OrdinalIgnoreCase);
        var destinations = new List<DestinationState>(options.Destinations.Count);
        var added = new List<DestinationState>();
        var removed = new List<DestinationState>();
        foreach (var (name, destinationOptions) in options.Destinations)
        {
            var address = DestinationAddress.Parse(destinationOptions.Address);
            var settings = new DestinationSettings(destinationOptions.Weight, destinationOptions.Backup, destinationOptions.MaxConnections);
            if (previous.Remove(name, out var existing))
            {
                if (existing.Address.Equals(address))
                {
                    existing.UpdateSettings(settings);
                    destinations.Add(existing);
                    continue;
                }

                // A new address is a different node: its sessions and health do not carry over.
                removed.Add(existing);
            }

            var created = new DestinationState(this, name, address, settings);
            destinations.Add(created);
            added.Add(created);
        }

        removed.AddRange(previous.Values);
        Volatile.Write(ref _model, new ClusterModel(options, policy, [.. destinations], pipeline));
        foreach (var destination in removed)
        {
            StartDraining(destination);
        }

        var health = options.HealthCheck;
        foreach (var destination in destinations)
        {
            if (!health.Active.Enabled)
            {
                destination.ResetActiveHealth();
            }

            if (!health.Passive.Enabled)
            {
                destination.ResetPassiveHealth();
            }
        }

        return new ClusterUpdate(true, added, removed);
    }

    /// <summary>The cluster left the configuration: every destination drains.</summary>
    internal IReadOnlyList<DestinationState> Retire()
    {
        Volatile.Write(ref _removed, 1);
        var destinations = Volatile.Read(ref _model)?.Destinations ?? [];
        foreach (var destination in destinations)
        {
            StartDraining(destination);
        }

        return destinations;
    }

    internal void OnDestinationDrained(DestinationState destination)
    {
        lock (_drainingGate)
        {
            Volatile.Write(ref _draining, Array.FindAll(_draining, d => !ReferenceEquals(d, destination)));
        }
    }

    private void StartDraining(DestinationState destination)
    {
        destination.StartDraining();
        lock (_drainingGate)
        {
            if (destination.ActiveSessions > 0 && !_draining.Contains(destination))
            {
                Volatile.Write(ref _draining, [.. _draining, destination]);
            }
        }

        // The last session may have ended between the two steps above.
        if (destination.ActiveSessions == 0)
        {
            OnDestinationDrained(destination);
        }
    }
}

/// <summary>What a reload did to one cluster.</summary>
internal sealed record ClusterUpdate(bool Changed, IReadOnlyList<DestinationState> Added, IReadOnlyList<DestinationState> Removed)
{
    public static ClusterUpdate Unchanged { get; } = new(false, [], []);
}
