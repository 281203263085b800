namespace StratumPool.VarDiff;

/// <summary>
/// One session's variable difficulty with NOMP's meaning: keep the average time between shares within
/// <c>TargetTime ± VariancePercent</c>, reconsidering every <c>RetargetTime</c> seconds (at once when a full buffer
/// of shares is far too fast), clamped to <c>[MinDiff, MaxDiff]</c>. A miner that sends nothing for <c>RetargetTime</c> is lowered too
/// (<see cref="OnIdleCheck"/>), so a device given too high a difficulty is not stuck.
/// Not thread-safe: the owning session calls it from one place at a time.
/// </summary>
public sealed class VarDiffController
{
    private readonly VarDiffOptions _options;
    private readonly TimeProvider _time;
    private readonly double _minDiff;
    private readonly double _tMin;
    private readonly double _tMax;
    private readonly double[] _intervals;
    private int _count;
    private int _next;
    private long? _lastShareTimestamp;
    private long? _lastRetargetTimestamp;
    private readonly long _createdTimestamp;

    /// <param name="minDiffOverride">A lower floor than <c>MinDiff</c>, when the miner asked for one within the pool's limit.</param>
    public VarDiffController(VarDiffOptions options, TimeProvider time, double? minDiffOverride = null)
    {
        _options = options;
        _time = time;
        _minDiff = minDiffOverride is { } floor ? Math.Min(floor, options.MinDiff) : options.MinDiff;
        var variance = options.TargetTime * options.VariancePercent / 100;
        _tMin = options.TargetTime - variance;
        _tMax = options.TargetTime + variance;
        var bufferSize = Math.Max(4, (int)Math.Ceiling(options.RetargetTime / options.TargetTime * 4));
        _intervals = new double[bufferSize];
        _createdTimestamp = time.GetTimestamp();
    }

    /// <summary>Lowest difficulty this session may get.</summary>
    public double MinDiff => _minDiff;

    /// <summary>Records an accepted share; returns the new difficulty when a retarget is due, otherwise null.</summary>
    public double? OnShare(double currentDifficulty)
    {
        var now = _time.GetTimestamp();
        if (_lastShareTimestamp is not { } lastShare)
        {
            // NOMP: the first share only starts the clock; the first retarget comes after half a retarget period.
            _lastShareTimestamp = now;
            _lastRetargetTimestamp = now - (long)(_options.RetargetTime / 2 * _time.TimestampFrequency);
            Clear();
            return null;
        }

        Append(Seconds(lastShare, now));
        _lastShareTimestamp = now;

        // NOMP waits a whole retarget period; a full buffer of far too fast shares (a big miner at a tiny
        // starting difficulty) is acted on at once, so the pool is not flooded for RetargetTime seconds.
        var flooded = _count == _intervals.Length && Average() < _tMin;
        if (!flooded && Seconds(_lastRetargetTimestamp!.Value, now) < _options.RetargetTime)
        {
            return null;
        }

        _lastRetargetTimestamp = now;
        return Retarget(currentDifficulty, Average());
    }

    /// <summary>
    /// Called periodically: a session without a share for a whole retarget period is lowered as if its
    /// average share time were the silence so far.
    /// </summary>
    public double? OnIdleCheck(double currentDifficulty)
    {
        var now = _time.GetTimestamp();
        var since = _lastShareTimestamp ?? _createdTimestamp;
        var lastRetarget = _lastRetargetTimestamp ?? _createdTimestamp;
        var silence = Seconds(since, now);
        if (silence < _options.RetargetTime || Seconds(lastRetarget, now) < _options.RetargetTime || silence <= _tMax)
        {
            return null;
        }

        _lastRetargetTimestamp = now;
        return currentDifficulty > _minDiff ? Retarget(currentDifficulty, silence) : null;
    }

    private double? Retarget(double difficulty, double averageSeconds)
    {
        double factor;
        if (averageSeconds > _tMax && difficulty > _minDiff)
        {
            factor = _options.TargetTime / averageSeconds;
            if (factor * difficulty < _minDiff)
            {
                factor = _minDiff / difficulty;
            }
        }
        else if (averageSeconds < _tMin && difficulty < _options.MaxDiff)
        {
            factor = _options.TargetTime / Math.Max(averageSeconds, 0.001);
            if (factor * difficulty > _options.MaxDiff)
            {
                factor = _options.MaxDiff / difficulty;
            }
        }
        else
        {
            return null;
        }

        Clear();
        var next = Math.Round(difficulty * factor, 8);
        next = Math.Clamp(next, _minDiff, _options.MaxDiff);
        return next == difficulty ? null : next;
    }

    private double Seconds(long from, long to) => (to - from) / (double)_time.TimestampFrequency;

    private void Append(double seconds)
    {
        _intervals[_next] = seconds;
        _next = (_next + 1) % _intervals.Length;
        _count = Math.Min(_count + 1, _intervals.Length);
    }

    private double Average()
    {
        if (_count == 0)
        {
            return _options.TargetTime;
        }

        double sum = 0;
        for (var i = 0; i < _count; i++)
        {
            sum += _intervals[i];
        }

        return sum / _count;
    }

    private void Clear()
    {
        _count = 0;
        _next = 0;
    }
}
