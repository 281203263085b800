using StratumProxy.Configuration;

namespace StratumProxy.Memory;

/// <summary>What the heap trimmer does at a check.</summary>
public enum HeapTrimAction
{
    None,

    /// <summary>
    /// Collect the young generation: what it holds since the last collection is past the threshold, so what of it
    /// lives is promoted and the next check can tell growth from garbage.
    /// </summary>
    CollectYoung,

    /// <summary>A full, compacting collection that returns the free memory to the system.</summary>
    Trim,
}

/// <summary>
/// Decides when the heap is worth trimming: once its older generations have grown by enough since the last trim, and
/// allocation has then stayed quiet for the configured period (a burst of connections is over). Growth, not
/// allocation, is the measure: steady work that allocates is collected young and does not grow the older
/// generations, so it never causes a trim.
/// </summary>
public sealed class HeapTrimPolicy
{
    private const long MiB = 1024 * 1024;

    private TimeSpan _lastObserved;
    private long _lastAllocated;
    private TimeSpan _quietSince;
    private long _olderAfterTrim;
    private long _older;

    /// <param name="allocatedBytes">Bytes the process has allocated so far.</param>
    /// <param name="olderGenerationsBytes">Bytes in the heap's older generations after the last collection.</param>
    /// <param name="now">Time on any clock that only moves forward.</param>
    public HeapTrimPolicy(long allocatedBytes, long olderGenerationsBytes, TimeSpan now)
    {
        _lastObserved = now;
        _quietSince = now;
        _lastAllocated = allocatedBytes;
        _olderAfterTrim = olderGenerationsBytes;
        _older = olderGenerationsBytes;
    }

    /// <summary>How much the older generations have grown since the last trim (or since start).</summary>
    public long GrowthSinceTrim => _older - _olderAfterTrim;

    /// <summary>
    /// The last check found nothing to do and nothing building up: allocation quiet for the period (or trimming
    /// off), the older generations and the young one below the threshold. Checks may then be sparse, as only new
    /// allocation can change that, and a burst is only acted on once it has been quiet for the period.
    /// </summary>
    public bool Settled { get; private set; }

    /// <summary>
    /// Records the allocation counter and the heap at <paramref name="now"/> and says what to do.
    /// <paramref name="olderGenerationsBytes"/> is what generations 1 and 2 (and the large and pinned object heaps)
    /// held after the last collection; <paramref name="heapBytes"/> the whole heap now, garbage included.
    /// </summary>
    public HeapTrimAction Observe(long allocatedBytes, long olderGenerationsBytes, long heapBytes, TimeSpan now, MemoryOptions options)
    {
        var interval = now - _lastObserved;
        var allocated = allocatedBytes - _lastAllocated;
        _lastObserved = now;
        _lastAllocated = allocatedBytes;
        _older = olderGenerationsBytes;
        if (allocated > options.QuietBelowKiBPerSecond * 1024.0 * Math.Max(interval.TotalSeconds, 0.001))
        {
            _quietSince = now;
        }

        Settled = false;
        if (!options.TrimWhenQuiet)
        {
            Settled = true;
            return HeapTrimAction.None;
        }

        if (now - _quietSince < options.QuietPeriod)
        {
            return HeapTrimAction.None;
        }

        var threshold = options.TrimAfterGrowthMiB * MiB;
        if (GrowthSinceTrim >= threshold)
        {
            return HeapTrimAction.Trim;
        }

        // The older generations are as of the last collection: a burst that ended after it left its survivors and
        // garbage in the young generation, where they cannot be told apart until it is collected.
        if (heapBytes - olderGenerationsBytes >= threshold)
        {
            return HeapTrimAction.CollectYoung;
        }

        Settled = true;
        return HeapTrimAction.None;
    }

    /// <summary>Measures growth from here on, after a trim that left <paramref name="olderGenerationsBytes"/>.</summary>
    public void Trimmed(long allocatedBytes, long olderGenerationsBytes)
    {
        _lastAllocated = allocatedBytes;
        _olderAfterTrim = olderGenerationsBytes;
        _older = olderGenerationsBytes;
    }
}
