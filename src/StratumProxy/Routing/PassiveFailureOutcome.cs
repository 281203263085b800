namespace StratumProxy.Routing;

/// <summary>What one passive failure did to a destination.</summary>
public enum PassiveFailureOutcome
{
    /// <summary>Counted; the destination stays available.</summary>
    Counted,

    /// <summary>The failure made the destination unavailable for the fail timeout.</summary>
    BecameUnavailable,

    /// <summary>The destination was already unavailable (e.g. an attempt started before it was marked).</summary>
    AlreadyUnavailable,
}
