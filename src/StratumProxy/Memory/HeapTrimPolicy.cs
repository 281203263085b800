using StratumProxy.Configuration;

namespace StratumProxy.Memory;

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
    private long _heapAfterTrim;
    private long _heap;

    /// <param name="allocatedBytes">Bytes the process has allocated so far.</param>
    /// <param name="heapBytes">Bytes in the heap's older generations after the last collection, garbage included.</param>
    /// <param name="now">Time on any clock that only moves forward.</param>
    public HeapTrimPolicy(long allocatedBytes, long heapBytes, TimeSpan now)
    {
        _lastObserved = now;
        _quietSince = now;
        _lastAllocated = allocatedBytes;
        _heapAfterTrim = heapBytes;
        _heap = heapBytes;
    }

    /// <summary>How much the heap has grown since the last trim (or since start).</summary>
    public long GrowthSinceTrim => _heap - _heapAfterTrim;

    /// <summary>Records the allocation counter and the heap's size at <paramref name="now"/>; true when a trim is due.</summary>
    public bool Observe(long allocatedBytes, long heapBytes, TimeSpan now, MemoryOptions options)
    {
        var interval = now - _lastObserved;
        var allocated = allocatedBytes - _lastAllocated;
        _lastObserved = now;
        _lastAllocated = allocatedBytes;
        _heap = heapBytes;
        if (allocated > options.QuietBelowKiBPerSecond * 1024.0 * Math.Max(interval.TotalSeconds, 0.001))
        {
            _quietSince = now;
        }

        return options.TrimWhenQuiet
            && now - _quietSince >= options.QuietPeriod
            && GrowthSinceTrim >= options.TrimAfterGrowthMiB * MiB;
    }

    /// <summary>Measures growth from here on, after a trim that left <paramref name="heapBytes"/> on the heap.</summary>
    public void Trimmed(long allocatedBytes, long heapBytes)
    {
        _lastAllocated = allocatedBytes;
        _heapAfterTrim = heapBytes;
        _heap = heapBytes;
    }
}
