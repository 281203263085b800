using System.Collections.Concurrent;
using Prometheus;
using Stratum.Transport.EventLoop;
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

    public ShareAccounting(ProxyMetrics metrics, ProxyConfigState config, IEnumerable<IShareObserver> observers, HashrateEstimator hashrate)
    {
        _metrics = metrics;
        _config = config;
        _observers = observers.ToArray();
        _hashrate = hashrate;

        // The estimate spans minutes: the gauge is set when it is read, not on every share.
        metrics.BeforeCollect(SetHashrateGauges);
    }

    public void OnShareAnswered(ProxySession session, bool accepted)
    {
        var series = session.ShareSeries ??= SeriesFor(session);
        if (accepted)
        {
            Interlocked.Increment(ref session.SharesAccepted);
            series.Accepted.Add(1);
            _hashrate.Add(series.Hashrate, session.Difficulty);
        }
        else
        {
            Interlocked.Increment(ref session.SharesRejected);
            series.Rejected.Add(1);
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

    private void SetHashrateGauges()
    {
        foreach (var series in _series.Values)
        {
            series.HashrateGauge.Set(_hashrate.Estimate(series.Hashrate));
        }
    }

    /// <summary>The metric children of a session's listener and destination, looked up once and shared by its sessions.</summary>
    private ShareSeries SeriesFor(ProxySession session)
    {
        var destination = session.Destination ?? "";
        return _series.GetOrAdd((session.Listener, session.Cluster, destination), static (key, self) => new ShareSeries(
            self._metrics.Striped(self._metrics.Shares.WithLabels([key.Listener, key.Cluster, key.Destination, "accepted"])),
            self._metrics.Striped(self._metrics.Shares.WithLabels([key.Listener, key.Cluster, key.Destination, "rejected"])),
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
        Add(WindowFor(cluster, destination), difficulty);

    internal Window WindowFor(string cluster, string destination) => _windows.GetOrAdd((cluster, destination), _ => new Window());

    /// <summary>Adds <paramref name="difficulty"/> to <paramref name="window"/> now, in the current loop's stripe.</summary>
    internal void Add(Window window, double difficulty) => window.StripeOfThisThread.Add(CurrentBucket(), difficulty);

    /// <summary>Hashes per second for one destination over the window.</summary>
    public double Estimate(string cluster, string destination) =>
        _windows.TryGetValue((cluster, destination), out var window) ? Estimate(window) : 0;

    /// <summary>Hashes per second over <paramref name="window"/>.</summary>
    internal double Estimate(Window window)
    {
        var bucket = CurrentBucket();
        double sum = 0;
        foreach (var stripe in window.Stripes)
        {
            sum += stripe.Sum(bucket);
        }

        return sum * 4294967296.0 / WindowLength.TotalSeconds;
    }

    public IEnumerable<(string Cluster, string Destination)> Keys => _windows.Keys;

    private long CurrentBucket() => _time.GetUtcNow().Ticks / _bucketLength.Ticks;

    /// <summary>
    /// One destination's sums: a stripe per event loop (and one for other threads), so the loops that count its
    /// shares never take the same lock or write the same cache line.
    /// </summary>
    internal sealed class Window
    {
        public readonly Stripe[] Stripes = CreateStripes();

        public Stripe StripeOfThisThread => Stripes[EventLoopThread.Number + 1];

        private static Stripe[] CreateStripes()
        {
            var stripes = new Stripe[EventLoopThread.MaxLoops + 1];
            for (var i = 0; i < stripes.Length; i++)
            {
                stripes[i] = new Stripe();
            }

            return stripes;
        }
    }

    /// <summary>Difficulty summed per bucket of the window, the oldest overwritten as time moves on.</summary>
    internal sealed class Stripe
    {
        // Longer than the buckets: the unused tail keeps the next stripe, allocated right after, off the cache
        // line this stripe's loop writes.
        private readonly double[] _sums = new double[Buckets + 8];
        private SpinGate _gate;
        private long _bucket = -1;

        public void Add(long bucket, double difficulty)
        {
            _gate.Enter();
            try
            {
                Roll(bucket);
                _sums[bucket % Buckets] += difficulty;
            }
            finally
            {
                _gate.Exit();
            }
        }

        public double Sum(long bucket)
        {
            _gate.Enter();
            try
            {
                Roll(bucket);
                double sum = 0;
                for (var i = 0; i < Buckets; i++)
                {
                    sum += _sums[i];
                }

                return sum;
            }
            finally
            {
                _gate.Exit();
            }
        }

        private void Roll(long bucket)
        {
            if (_bucket < 0)
            {
                _bucket = bucket;
                return;
            }

            for (var b = _bucket + 1; b <= bucket && b - _bucket <= Buckets; b++)
            {
                _sums[b % Buckets] = 0;
            }

            if (bucket > _bucket)
            {
                _bucket = bucket;
            }
        }
    }
}

/// <summary>What a share of one listener and destination updates: its counters and the destination's hash rate.</summary>
internal sealed class ShareSeries(StripedCounter accepted, StripedCounter rejected, Gauge.Child hashrateGauge, HashrateEstimator.Window hashrate)
{
    public StripedCounter Accepted { get; } = accepted;

    public StripedCounter Rejected { get; } = rejected;

    public Gauge.Child HashrateGauge { get; } = hashrateGauge;

    public HashrateEstimator.Window Hashrate { get; } = hashrate;
}
