using System.Collections.Concurrent;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Management;

namespace StratumProxy.Stratum;

/// <summary>Something that wants to know how each session's shares fared (bans, statistics).</summary>
public interface IShareObserver
{
    void OnShare(ProxySession session, bool accepted);

    void OnMalformedLine(ProxySession session);
}

/// <summary>
/// Turns matched submit answers into metrics: shares per listener and destination, capped per-worker series and
/// an estimated hash rate per destination, then tells the observers (such as the ban tracker).
/// </summary>
public sealed class ShareAccounting
{
    /// <summary>The per-worker label value that stands for every worker past the cap.</summary>
    public const string OverflowWorker = "other";

    private readonly ProxyMetrics _metrics;
    private readonly ProxyConfigState _config;
    private readonly IShareObserver[] _observers;
    private readonly HashrateEstimator _hashrate;
    private readonly ConcurrentDictionary<string, byte> _workerSeries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Listener, string Cluster, string Destination), ShareSeries> _series = new();

    /// <summary>Ticks between two settings of a destination's hash-rate gauge.</summary>
    private static readonly long GaugeInterval = TimeSpan.TicksPerSecond;

    public ShareAccounting(ProxyMetrics metrics, ProxyConfigState config, IEnumerable<IShareObserver> observers, HashrateEstimator hashrate)
    {
        _metrics = metrics;
        _config = config;
        _observers = observers.ToArray();
        _hashrate = hashrate;
    }

    public void OnShareAnswered(ProxySession session, bool accepted)
    {
        var series = session.ShareSeries ??= SeriesFor(session);
        if (accepted)
        {
            Interlocked.Increment(ref session.SharesAccepted);
            series.Accepted.Inc();
            _hashrate.Add(series.Hashrate, session.Difficulty, out var now);
            if (now - Volatile.Read(ref series.HashrateSetAt) >= GaugeInterval)
            {
                // The estimate spans minutes: it is summed and the gauge set at most once a second, not on every share.
                Volatile.Write(ref series.HashrateSetAt, now);
                series.HashrateGauge.Set(_hashrate.Estimate(series.Hashrate));
            }
        }
        else
        {
            Interlocked.Increment(ref session.SharesRejected);
            series.Rejected.Inc();
        }

        var metricsOptions = _config.Current.Metrics;
        if (metricsOptions.PerWorker && session.Worker is { } worker)
        {
            _metrics.WorkerShares.WithLabels([WorkerLabel(worker, metricsOptions.MaxWorkerSeries), accepted ? "accepted" : "rejected"]).Inc();
        }

        foreach (var observer in _observers)
        {
            observer.OnShare(session, accepted);
        }
    }

    /// <summary>The metric children of a session's listener and destination, looked up once and shared by its sessions.</summary>
    private ShareSeries SeriesFor(ProxySession session)
    {
        var destination = session.Destination ?? "";
        return _series.GetOrAdd((session.Listener, session.Cluster, destination), static (key, self) => new ShareSeries(
            self._metrics.Shares.WithLabels([key.Listener, key.Cluster, key.Destination, "accepted"]),
            self._metrics.Shares.WithLabels([key.Listener, key.Cluster, key.Destination, "rejected"]),
            self._metrics.DestinationHashrate.WithLabels([key.Cluster, key.Destination]),
            self._hashrate.WindowFor(key.Cluster, key.Destination)), this);
    }

    public void OnMalformedLine(ProxySession session)
    {
        foreach (var observer in _observers)
        {
            observer.OnMalformedLine(session);
        }
    }

    /// <summary>The label for <paramref name="worker"/>: its own name while fewer than the cap have one.</summary>
    public string WorkerLabel(string worker, int cap)
    {
        if (_workerSeries.ContainsKey(worker))
        {
            return worker;
        }

        // Racing adders may overshoot the cap by a few; the bound that matters is that it is not unbounded.
        if (_workerSeries.Count < cap && _workerSeries.TryAdd(worker, 0))
        {
            return worker;
        }

        return OverflowWorker;
    }
}

/// <summary>
/// Estimated hash rate per destination from accepted share difficulty: difficulty × 2^32 summed over a sliding
/// window, divided by the window.
/// </summary>
public sealed class HashrateEstimator
{
    private const int Buckets = 10;
    private readonly TimeProvider _time;
    private readonly TimeSpan _bucketLength;
    private readonly ConcurrentDictionary<(string Cluster, string Destination), Window> _windows = new();

    public HashrateEstimator(TimeProvider time, TimeSpan? window = null)
    {
        _time = time;
        WindowLength = window ?? TimeSpan.FromMinutes(5);
        _bucketLength = WindowLength / Buckets;
    }

    public TimeSpan WindowLength { get; }

    public void Record(string cluster, string destination, double difficulty) =>
        Add(WindowFor(cluster, destination), difficulty, out _);

    internal Window WindowFor(string cluster, string destination) => _windows.GetOrAdd((cluster, destination), _ => new Window());

    /// <summary>Adds <paramref name="difficulty"/> to <paramref name="window"/> now; <paramref name="nowTicks"/> is that time (UTC ticks).</summary>
    internal void Add(Window window, double difficulty, out long nowTicks)
    {
        nowTicks = _time.GetUtcNow().Ticks;
        var bucket = nowTicks / _bucketLength.Ticks;
        lock (window)
        {
            window.Roll(bucket);
            window.Sums[bucket % Buckets] += difficulty;
        }
    }

    /// <summary>Hashes per second for one destination over the window.</summary>
    public double Estimate(string cluster, string destination) =>
        _windows.TryGetValue((cluster, destination), out var window) ? Estimate(window) : 0;

    /// <summary>Hashes per second over <paramref name="window"/>.</summary>
    internal double Estimate(Window window)
    {
        lock (window)
        {
            window.Roll(CurrentBucket());
            return window.Sums.Sum() * 4294967296.0 / WindowLength.TotalSeconds;
        }
    }

    public IEnumerable<(string Cluster, string Destination)> Keys => _windows.Keys;

    private long CurrentBucket() => _time.GetUtcNow().Ticks / _bucketLength.Ticks;

    internal sealed class Window
    {
        public readonly double[] Sums = new double[Buckets];
        private long _bucket = -1;

        public void Roll(long bucket)
        {
            if (_bucket < 0)
            {
                _bucket = bucket;
                return;
            }

            for (var b = _bucket + 1; b <= bucket && b - _bucket <= Buckets; b++)
            {
                Sums[b % Buckets] = 0;
            }

            if (bucket > _bucket)
            {
                _bucket = bucket;
            }
        }
    }
}

/// <summary>What a share of one listener and destination updates: its counters and the destination's hash rate.</summary>
internal sealed class ShareSeries(Counter.Child accepted, Counter.Child rejected, Gauge.Child hashrateGauge, HashrateEstimator.Window hashrate)
{
    public Counter.Child Accepted { get; } = accepted;

    public Counter.Child Rejected { get; } = rejected;

    public Gauge.Child HashrateGauge { get; } = hashrateGauge;

    public HashrateEstimator.Window Hashrate { get; } = hashrate;

    /// <summary>When the gauge was last set (UTC ticks).</summary>
    public long HashrateSetAt = long.MinValue / 2;
}
