namespace StratumProxy.Routing;

/// <summary>What active probes last concluded about a destination.</summary>
public enum ActiveHealthState
{
    /// <summary>Not probed yet, or active checks are off: treated as available.</summary>
    Unknown,

    Healthy,

    /// <summary>Failed the unhealthy threshold of consecutive probes: receives no new sessions.</summary>
    Unhealthy,
}
