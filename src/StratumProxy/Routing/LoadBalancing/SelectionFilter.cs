namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// Which destinations a policy may pick for one attempt: available now (not draining, not actively unhealthy,
/// not passively failed), below their connection cap, and not already tried by this connect.
/// </summary>
public readonly ref struct SelectionFilter
{
    private readonly ReadOnlySpan<DestinationState> _excluded;

    public SelectionFilter(long nowUtcTicks, ReadOnlySpan<DestinationState> excluded)
    {
        NowUtcTicks = nowUtcTicks;
        _excluded = excluded;
    }

    public long NowUtcTicks { get; }

    public bool IsEligible(DestinationState destination)
    {
        if (!destination.IsAvailable(NowUtcTicks) || !destination.HasCapacity)
        {
            return false;
        }

        foreach (var excluded in _excluded)
        {
            if (ReferenceEquals(excluded, destination))
            {
                return false;
            }
        }

        return true;
    }
}
