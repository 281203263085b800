namespace StratumPool.Metrics;

/// <summary>
/// Accepted shares over a sliding window, in fixed buckets, for the pool hashrate and shares per second:
/// hashrate = Σ difficulty · 2^32 / window.
/// </summary>
public sealed class ShareRateTracker
{
    private const int BucketCount = 60;
    private static readonly double TwoPow32 = Math.Pow(2, 32);
    private readonly TimeProvider _time;
    private readonly long _bucketMilliseconds;
    private readonly double[] _difficulty = new double[BucketCount];
    private readonly long[] _count = new long[BucketCount];
    private readonly long[] _bucketStart = new long[BucketCount];
    private readonly Lock _gate = new();

    public ShareRateTracker(TimeProvider time, TimeSpan window)
    {
        _time = time;
        Window = window;
        _bucketMilliseconds = Math.Max(1, (long)window.TotalMilliseconds / BucketCount);
    }

    public TimeSpan Window { get; }

    public void Record(double difficulty)
    {
        var slot = CurrentSlot(out var start);
        lock (_gate)
        {
            if (_bucketStart[slot] != start)
            {
                _bucketStart[slot] = start;
                _difficulty[slot] = 0;
                _count[slot] = 0;
            }

            _difficulty[slot] += difficulty;
            _count[slot]++;
        }
    }

    /// <summary>Hashes per second over the window.</summary>
    public double Hashrate
    {
        get
        {
            var (difficulty, _) = Sum();
            return difficulty * TwoPow32 / Window.TotalSeconds;
        }
    }

    public double SharesPerSecond
    {
        get
        {
            var (_, count) = Sum();
            return count / Window.TotalSeconds;
        }
    }

    private (double Difficulty, long Count) Sum()
    {
        CurrentSlot(out var start);
        var oldest = start - ((BucketCount - 1) * _bucketMilliseconds);
        double difficulty = 0;
        long count = 0;
        lock (_gate)
        {
            for (var i = 0; i < BucketCount; i++)
            {
                if (_bucketStart[i] >= oldest && _bucketStart[i] <= start && (_count[i] > 0))
                {
                    difficulty += _difficulty[i];
                    count += _count[i];
                }
            }
        }

        return (difficulty, count);
    }

    private int CurrentSlot(out long bucketStart)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var index = now / _bucketMilliseconds;
        bucketStart = index * _bucketMilliseconds;
        return (int)(index % BucketCount);
    }
}
