namespace StratumProxy.Routing;

/// <summary>The parts of a destination's configuration that a reload may change without a new <see cref="DestinationState"/>.</summary>
/// <param name="Weight">Relative share of new sessions, at least 1.</param>
/// <param name="Backup">Used only while no primary is available.</param>
/// <param name="MaxConnections">Most sessions at once; 0 means unlimited.</param>
public sealed record DestinationSettings(int Weight, bool Backup, int MaxConnections);
