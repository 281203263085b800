namespace StratumProxy.Routing;

/// <summary>Why no destination could be reached for a session.</summary>
public enum NoDestinationReason
{
    /// <summary>No destination was eligible (all unhealthy, failed, draining or at their cap).</summary>
    NoneAvailable,

    /// <summary>Every eligible destination was tried and refused or failed.</summary>
    AllFailed,

    /// <summary>The cluster's <c>ConnectTimeout</c> ran out.</summary>
    Timeout,

    /// <summary>The listener names a cluster that does not exist (any more).</summary>
    UnknownCluster,

    /// <summary>The proxy could not open a socket of its own (out of file descriptors).</summary>
    NoLocalSocket,
}

/// <summary>No destination of the cluster could be reached; the miner's connection is to be closed.</summary>
public sealed class NoDestinationException(string cluster, NoDestinationReason reason, int attempts, Exception? inner = null)
    : Exception($"No destination of cluster '{cluster}' reachable ({reason}, {attempts} attempt(s)).", inner)
{
    /// <summary>The <c>reason</c> label of the rejected-connections metric.</summary>
    public const string MetricReason = "no_destination";

    public string Cluster { get; } = cluster;

    public NoDestinationReason Reason { get; } = reason;

    /// <summary>Connect attempts made before giving up.</summary>
    public int Attempts { get; } = attempts;
}
