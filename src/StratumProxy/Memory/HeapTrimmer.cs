using Stratum.Transport.EventLoop;
using StratumProxy.Configuration;
using StratumProxy.Management;

namespace StratumProxy.Memory;

/// <summary>
/// Gives the heap back to the system after a burst: a full, compacting collection in the runtime's aggressive mode,
/// which also decommits the free space. Without it the garbage of thousands of connection set-ups stays resident for
/// as long as the proxy idles (about a third of its memory per idle miner).
/// </summary>
public sealed partial class HeapTrimmer(ProxyConfigState config, TimeProvider time, ProxyMetrics metrics, ILogger<HeapTrimmer> logger) : BackgroundService
{
    /// <summary>How often allocation and the heap are read; the quiet period is honoured to within this.</summary>
    public static TimeSpan CheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How often they are read while the heap is settled (<see cref="HeapTrimPolicy.Settled"/>): an idle proxy
    /// wakes a thread once a second for this, not four times.
    /// </summary>
    public static TimeSpan SettledCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    private long _checks;
    private volatile bool _waitingForTrafficGap;

    /// <summary>How long the event loops must pause before a due collection starts.</summary>
    internal TimeSpan TrafficGap { get; init; } = TrafficGapWatch.DefaultGap;

    /// <summary>How many checks have run (for tests to know the service is past its start).</summary>
    internal long Checks => Interlocked.Read(ref _checks);

    /// <summary>A collection is due and held back until the event loops pause.</summary>
    internal bool WaitingForTrafficGap => _waitingForTrafficGap;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        var policy = new HeapTrimPolicy(GC.GetTotalAllocatedBytes(), OlderGenerationsBytes(), TimeSpan.Zero);
        using var timer = new PeriodicTimer(CheckInterval, time);
        var activityAtCheck = EventLoopActivity.Count;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var older = OlderGenerationsBytes();
                var options = config.Current.Memory;
                var action = policy.Observe(GC.GetTotalAllocatedBytes(), older, GC.GetTotalMemory(forceFullCollection: false), time.GetElapsedTime(started), options);
                var activity = EventLoopActivity.Count;
                if (action != HeapTrimAction.None && activity != activityAtCheck)
                {
                    // The loops relayed something since the last check: wait until they pause.
                    await WaitForTrafficGapAsync(activity, options.MaxWaitForTrafficGap, started, stoppingToken);
                }

                activityAtCheck = EventLoopActivity.Count;
                switch (action)
                {
                    case HeapTrimAction.CollectYoung:
                        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                        break;
                    case HeapTrimAction.Trim:
                        Trim(policy.GrowthSinceTrim);
                        policy.Trimmed(GC.GetTotalAllocatedBytes(), OlderGenerationsBytes());
                        break;
                }

                Interlocked.Increment(ref _checks);
                var period = policy.Settled ? SettledCheckInterval : CheckInterval;
                if (timer.Period != period)
                {
                    timer.Period = period;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WaitForTrafficGapAsync(long activity, TimeSpan maxWait, long started, CancellationToken cancellationToken)
    {
        var watch = new TrafficGapWatch(activity, time.GetElapsedTime(started), maxWait, TrafficGap);
        _waitingForTrafficGap = true;
        try
        {
            while (!watch.Observe(EventLoopActivity.Count, time.GetElapsedTime(started)))
            {
                await Task.Delay(TrafficGapWatch.PollInterval, time, cancellationToken);
            }
        }
        finally
        {
            _waitingForTrafficGap = false;
        }
    }

    /// <summary>
    /// What the older generations (1, 2, large and pinned objects) held after the last collection. A burst's garbage
    /// lands there, promoted by the collections during the burst; steady work's garbage dies in generation 0, which
    /// is left out so that its filling up, whatever its budget, is never taken for growth.
    /// </summary>
    private static long OlderGenerationsBytes()
    {
        var generations = GC.GetGCMemoryInfo(GCKind.Any).GenerationInfo;
        long bytes = 0;
        for (var i = 1; i < generations.Length; i++)
        {
            bytes += generations[i].SizeAfterBytes;
        }

        return bytes;
    }

    private void Trim(long growth)
    {
        var residentBefore = Environment.WorkingSet;
        var started = time.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var pause = time.GetElapsedTime(started);
        metrics.HeapTrims.Inc();
        metrics.HeapTrimPause.Inc(pause.TotalSeconds);
        LogTrimmed(logger, growth >> 20, residentBefore >> 20, Environment.WorkingSet >> 20, pause.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information,
        Message = "Heap trimmed after it grew by {GrowthMiB} MiB and allocation went quiet: resident {BeforeMiB} -> {AfterMiB} MiB, {PauseMilliseconds:F0} ms paused.")]
    private static partial void LogTrimmed(ILogger logger, long growthMiB, long beforeMiB, long afterMiB, double pauseMilliseconds);
}
