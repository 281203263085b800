namespace StratumProxy.Memory;

/// <summary>
/// Says when a collection that stops every thread may start without landing inside a burst of relaying, such as a
/// notify broadcast to thousands of miners: once the event loops' activity count has stood still for
/// <paramref name="gap"/> (a broadcast is over, and the next is most likely the furthest away it will be), or once
/// <paramref name="maxWait"/> has passed, as relaying that never pauses must not hold memory back for ever.
/// </summary>
/// <param name="activity">The activity count when the collection became due.</param>
/// <param name="now">Time on any clock that only moves forward.</param>
/// <param name="maxWait">How long to wait for a pause at most.</param>
/// <param name="gap">How long the count must stand still; <see cref="DefaultGap"/> unless a test needs more.</param>
public sealed class TrafficGapWatch(long activity, TimeSpan now, TimeSpan maxWait, TimeSpan gap)
{
    /// <summary>How long the loops must have had nothing to do: longer than any stall inside a broadcast.</summary>
    public static readonly TimeSpan DefaultGap = TimeSpan.FromMilliseconds(20);

    /// <summary>How often the count is read while waiting.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly TimeSpan _deadline = now + maxWait;
    private long _activity = activity;
    private TimeSpan _movedAt = now;

    /// <summary>Records the count at <paramref name="time"/>; true when the collection may start.</summary>
    public bool Observe(long activity, TimeSpan time)
    {
        if (activity != _activity)
        {
            _activity = activity;
            _movedAt = time;
        }

        return time - _movedAt >= gap || time >= _deadline;
    }
}
