using StratumProxy.Configuration;

namespace StratumProxy.Memory;

/// <summary>
/// Decides when the heap is worth trimming: once enough has been allocated since the last trim, and allocation has
/// then stayed quiet for the configured period (a burst of connections is over).
/// </summary>
public sealed class HeapTrimPolicy
{
    private const long MiB = 1024 * 1024;

    private TimeSpan _lastObserved;
    private long _lastAllocated;
    private TimeSpan _quietSince;
    private long _allocatedAtTrim;

    /// <param name="allocatedBytes">Bytes the process has allocated so far.</param>
    /// <param name="now">Time on any clock that only moves forward.</param>
    public HeapTrimPolicy(long allocatedBytes, TimeSpan now)
    {
        _lastObserved = now;
        _quietSince = now;
        _lastAllocated = allocatedBytes;
        _allocatedAtTrim = allocatedBytes;
    }

    /// <summary>Bytes allocated since the last trim (or since start).</summary>
    public long AllocatedSinceTrim => _lastAllocated - _allocatedAtTrim;

    /// <summary>Records the allocation counter at <paramref name="now"/>; true when a trim is due.</summary>
    public bool Observe(long allocatedBytes, TimeSpan now, MemoryOptions options)
    {
        var interval = now - _lastObserved;
        var allocated = allocatedBytes - _lastAllocated;
        _lastObserved = now;
        _lastAllocated = allocatedBytes;
        if (allocated > options.QuietBelowKiBPerSecond * 1024.0 * Math.Max(interval.TotalSeconds, 0.001))
        {
            _quietSince = now;
        }

        return options.TrimWhenQuiet
            && now - _quietSince >= options.QuietPeriod
            && AllocatedSinceTrim >= options.TrimAfterAllocatedMiB * MiB;
    }

    /// <summary>Starts counting again after a trim that finished with the counter at <paramref name="allocatedBytes"/>.</summary>
    public void Trimmed(long allocatedBytes)
    {
        _lastAllocated = allocatedBytes;
        _allocatedAtTrim = allocatedBytes;
    }
}
