using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.Memory;

namespace StratumProxy.Tests.Memory;

public sealed class HeapTrimmerTests
{
    [Fact]
    public async Task A_quiet_process_after_a_burst_gets_a_full_collection_and_a_metric()
    {
        // Other tests allocate in parallel in this process, so "quiet" is set high enough to hold whatever they do;
        // what is checked here is the wiring: the real allocation counter, the real collection, the metrics.
        var options = new ProxyOptions
        {
            Memory = new MemoryOptions { QuietPeriod = TimeSpan.FromMilliseconds(200), TrimAfterGrowthMiB = 4, QuietBelowKiBPerSecond = int.MaxValue },
        };
        var metrics = new ProxyMetrics(Metrics.NewCustomRegistry());
        using var trimmer = new HeapTrimmer(new ProxyConfigState(options), TimeProvider.System, metrics, NullLogger<HeapTrimmer>.Instance);
        var fullCollections = GC.CollectionCount(GC.MaxGeneration);
        await trimmer.StartAsync(CancellationToken.None);
        try
        {
            // The service starts its loop on a thread of its own, so a burst may come before it reads the heap's size
            // the first time: grow it again, up to a bound, until the trim shows.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            for (var burst = 0; burst < 10 && metrics.HeapTrims.Value < 1 && DateTime.UtcNow < deadline; burst++)
            {
                Burst(8 * 1024 * 1024);
                var settle = DateTime.UtcNow + TimeSpan.FromSeconds(2);
                while (metrics.HeapTrims.Value < 1 && DateTime.UtcNow < settle)
                {
                    await Task.Delay(20);
                }
            }

            Assert.True(metrics.HeapTrims.Value >= 1, "no trim after the heap grew by 8 MiB at a time, within 20 s");
            Assert.True(GC.CollectionCount(GC.MaxGeneration) > fullCollections);
            Assert.True(metrics.HeapTrimPause.Value > 0);
        }
        finally
        {
            await trimmer.StopAsync(CancellationToken.None);
            lock (Held)
            {
                Held.Clear();
            }
        }
    }

    private static readonly List<byte[]> Held = [];

    /// <summary>Grows the heap by <paramref name="bytes"/> and keeps it grown, whatever collections run meanwhile.</summary>
    private static void Burst(int bytes)
    {
        lock (Held)
        {
            for (var allocated = 0; allocated < bytes; allocated += 4096)
            {
                Held.Add(new byte[4096 - 24]);
            }
        }
    }
}
