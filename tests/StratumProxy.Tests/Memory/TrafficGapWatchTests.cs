using StratumProxy.Memory;

namespace StratumProxy.Tests.Memory;

public sealed class TrafficGapWatchTests
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(20);

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void Waits_while_the_count_moves_and_not_longer_than_the_gap_once_it_stands_still()
    {
        var watch = new TrafficGapWatch(100, Ms(1000), MaxWait, Gap);
        Assert.False(watch.Observe(100, Ms(1005)));
        Assert.False(watch.Observe(140, Ms(1010))); // a broadcast going on
        Assert.False(watch.Observe(190, Ms(1025)));
        Assert.False(watch.Observe(190, Ms(1030)));
        Assert.False(watch.Observe(190, Ms(1040)));
        Assert.True(watch.Observe(190, Ms(1045))); // 20 ms without a wake-up
    }

    [Fact]
    public void The_time_before_the_collection_became_due_does_not_count_as_a_gap()
    {
        // The count was read when the collection became due: it may have moved just before.
        var watch = new TrafficGapWatch(100, Ms(1000), MaxWait, Gap);
        Assert.False(watch.Observe(100, Ms(1015)));
        Assert.True(watch.Observe(100, Ms(1020)));
    }

    [Fact]
    public void Relaying_that_never_pauses_holds_the_collection_back_only_until_the_longest_wait()
    {
        var watch = new TrafficGapWatch(0, Ms(0), MaxWait, Gap);
        var time = 0;
        for (var count = 1; time < MaxWait.TotalMilliseconds - 5; count++)
        {
            time += 5;
            Assert.False(watch.Observe(count, Ms(time)));
        }

        Assert.True(watch.Observe(1_000_000, Ms(time + 5)));
    }

    [Fact]
    public void No_wait_configured_starts_at_once()
    {
        var watch = new TrafficGapWatch(0, Ms(500), TimeSpan.Zero, Gap);
        Assert.True(watch.Observe(7, Ms(500)));
    }
}
