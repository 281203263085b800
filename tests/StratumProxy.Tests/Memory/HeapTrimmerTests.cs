using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Stratum.Transport.EventLoop;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.Memory;

namespace StratumProxy.Tests.Memory;

/// <summary>
/// The trimmer watches every event loop of the process, so its tests run alone: sockets of tests running beside them
/// would keep the loops awake, and their load would stall the test's own traffic.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EventLoopActivityCollection
{
    public const string Name = "Event loop activity";
}

[Collection(EventLoopActivityCollection.Name)]
public sealed class HeapTrimmerTests
{
    [Fact]
    public async Task A_quiet_process_after_a_burst_gets_a_full_collection_and_a_metric()
    {
        // Other tests allocate in parallel in this process, so "quiet" is set high enough to hold whatever they do;
        // what is checked here is the wiring: the real allocation counter, the real collection, the metrics.
        var options = TrimOptions(maxWaitForTrafficGap: TimeSpan.FromSeconds(1));
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

    [Fact]
    public async Task A_due_trim_waits_while_an_event_loop_relays_and_starts_once_it_pauses()
    {
        var options = TrimOptions(maxWaitForTrafficGap: TimeSpan.FromMinutes(1));
        var metrics = new ProxyMetrics(Metrics.NewCustomRegistry());

        // The byte stream below comes from a thread sleeping 2 ms between bytes, which a busy machine can stall for
        // longer than the 20 ms a broadcast's loops never stand still: the gap asked for here is ten times that.
        using var trimmer = new HeapTrimmer(new ProxyConfigState(options), TimeProvider.System, metrics, NullLogger<HeapTrimmer>.Instance)
        {
            TrafficGap = TimeSpan.FromMilliseconds(200),
        };

        // A socket on an event loop whose peer sends a byte every 2 ms: each one wakes the loop, as a broadcast does.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var socket = await EpollSocket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, null, CancellationToken.None);
        using var peer = await listener.AcceptAsync();
        peer.NoDelay = true; // else the bytes wait for the delayed ACK and arrive 40 ms apart
        using var stopTraffic = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var traffic = new Thread(() =>
        {
            var one = new byte[] { 1 };
            for (var i = 0; i < 30_000 && !stopTraffic.IsCancellationRequested; i++)
            {
                peer.Send(one);
                Thread.Sleep(2);
            }
        });
        traffic.IsBackground = true;
        traffic.Start();

        await trimmer.StartAsync(CancellationToken.None);
        try
        {
            var activity = EventLoopActivity.Count;
            Assert.True(await WaitUntil(() => EventLoopActivity.Count > activity && trimmer.Checks >= 1), "the loop never woke, or the trimmer never checked");

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            for (var burst = 0; burst < 10 && !trimmer.WaitingForTrafficGap && DateTime.UtcNow < deadline; burst++)
            {
                Burst(8 * 1024 * 1024);
                await WaitUntil(() => trimmer.WaitingForTrafficGap, TimeSpan.FromSeconds(2));
            }

            Assert.True(trimmer.WaitingForTrafficGap, "the trim never became due while the loop relayed");
            Assert.Equal(0, metrics.HeapTrims.Value);

            // Held back for as long as the loop keeps waking (a window, not a synchronisation).
            await Task.Delay(500);
            Assert.True(trimmer.WaitingForTrafficGap, "the trim stopped waiting while the loop still woke every few ms");
            Assert.Equal(0, metrics.HeapTrims.Value);

            await stopTraffic.CancelAsync();
            Assert.True(traffic.Join(TimeSpan.FromSeconds(10)));
            Assert.True(await WaitUntil(() => metrics.HeapTrims.Value >= 1), "no trim within 10 s of the loop going quiet");
            Assert.False(trimmer.WaitingForTrafficGap);
        }
        finally
        {
            await stopTraffic.CancelAsync();
            await trimmer.StopAsync(CancellationToken.None);
            lock (Held)
            {
                Held.Clear();
            }
        }
    }

    /// <summary>"Quiet" set high enough to hold whatever other tests allocate meanwhile.</summary>
    private static ProxyOptions TrimOptions(TimeSpan maxWaitForTrafficGap) => new()
    {
        Memory = new MemoryOptions
        {
            QuietPeriod = TimeSpan.FromMilliseconds(200),
            TrimAfterGrowthMiB = 4,
            QuietBelowKiBPerSecond = int.MaxValue,
            MaxWaitForTrafficGap = maxWaitForTrafficGap,
        },
    };

    private static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
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
