using StratumProxy.Configuration;
using StratumProxy.Memory;

namespace StratumProxy.Tests.Memory;

public sealed class HeapTrimPolicyTests
{
    private const long MiB = 1024 * 1024;

    private static readonly MemoryOptions Defaults = new();

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void A_burst_that_grew_the_older_generations_is_trimmed_once_allocation_has_been_quiet_for_the_period()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB, 70 * MiB, 72 * MiB, Ms(250), Defaults)); // the burst
        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB, 70 * MiB, 72 * MiB, Ms(500), Defaults));
        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB + 1000, 70 * MiB, 72 * MiB, Ms(750), Defaults));
        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB + 1000, 70 * MiB, 72 * MiB, Ms(1000), Defaults));
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(60 * MiB + 2000, 70 * MiB, 72 * MiB, Ms(1250), Defaults)); // quiet since 250 ms
        Assert.Equal(50 * MiB, policy.GrowthSinceTrim);
    }

    [Fact]
    public void A_burst_still_in_the_young_generation_is_collected_young_first_then_trimmed_if_it_grew_the_older_ones()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, policy.Observe(30 * MiB, 23 * MiB, 45 * MiB, Ms(250), Defaults));
        Assert.Equal(HeapTrimAction.CollectYoung, policy.Observe(30 * MiB, 23 * MiB, 45 * MiB, Ms(1250), Defaults));

        // After the young collection its survivors are in the older generations: 15 MiB of growth.
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(30 * MiB, 35 * MiB, 35 * MiB, Ms(1500), Defaults));
    }

    [Fact]
    public void A_young_collection_that_shows_little_growth_ends_there()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, policy.Observe(12 * MiB, 20 * MiB, 30 * MiB, Ms(250), Defaults));
        Assert.Equal(HeapTrimAction.CollectYoung, policy.Observe(12 * MiB, 20 * MiB, 30 * MiB, Ms(1250), Defaults));
        for (var tick = 6; tick <= 20; tick++)
        {
            Assert.Equal(HeapTrimAction.None, policy.Observe(12 * MiB, 22 * MiB, 22 * MiB, Ms(250 * tick), Defaults));
        }
    }

    [Fact]
    public void Steady_allocation_above_the_quiet_rate_never_trims()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        long allocated = 0;
        for (var tick = 1; tick <= 40; tick++)
        {
            allocated += 2 * MiB / 4; // 2 MiB a second, against a quiet rate of 1 MiB a second
            Assert.Equal(HeapTrimAction.None, policy.Observe(allocated, 20 * MiB + allocated, 20 * MiB + (2 * allocated), Ms(250 * tick), Defaults));
        }
    }

    [Fact]
    public void Quiet_allocation_that_is_collected_young_never_trims_however_much_it_adds_up_to()
    {
        // 800 KiB a second for a minute is 47 MiB allocated; collected young within a 4 MiB budget, the older
        // generations stay where they were.
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        long allocated = 0;
        for (var tick = 1; tick <= 240; tick++)
        {
            allocated += 200 * 1024;
            var heap = 20 * MiB + (allocated % (4 * MiB));
            Assert.Equal(HeapTrimAction.None, policy.Observe(allocated, 20 * MiB, heap, Ms(250 * tick), Defaults));
        }
    }

    [Fact]
    public void Too_little_growth_since_the_last_trim_is_not_worth_a_pause()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        for (var tick = 1; tick <= 20; tick++)
        {
            Assert.Equal(HeapTrimAction.None, policy.Observe(7 * MiB, 27 * MiB, 28 * MiB, Ms(250 * tick), Defaults));
        }

        // A trickle (800 KiB a second) that takes the growth past the threshold: quiet, and now worth it.
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(7 * MiB + (1200 * 1024), 28 * MiB + (200 * 1024), 29 * MiB, Ms(250 * 21) + TimeSpan.FromSeconds(1.25), Defaults));
    }

    [Fact]
    public void After_a_trim_growth_is_measured_from_what_the_trim_left()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, policy.Observe(40 * MiB, 60 * MiB, 60 * MiB, Ms(250), Defaults));
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(40 * MiB, 60 * MiB, 60 * MiB, Ms(1250), Defaults));
        policy.Trimmed(40 * MiB, 35 * MiB);
        Assert.Equal(0, policy.GrowthSinceTrim);
        Assert.Equal(HeapTrimAction.None, policy.Observe(40 * MiB, 42 * MiB, 42 * MiB, Ms(5000), Defaults));
        Assert.Equal(HeapTrimAction.None, policy.Observe(49 * MiB, 43 * MiB, 43 * MiB, Ms(5250), Defaults)); // 9 MiB allocated: not quiet
        Assert.Equal(HeapTrimAction.None, policy.Observe(49 * MiB, 43 * MiB, 43 * MiB, Ms(6000), Defaults));
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(49 * MiB, 43 * MiB, 43 * MiB, Ms(6250), Defaults));
    }

    [Fact]
    public void Disabled_never_acts_and_the_settings_are_read_at_every_check()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        var disabled = Defaults with { TrimWhenQuiet = false };
        Assert.Equal(HeapTrimAction.None, policy.Observe(100 * MiB, 120 * MiB, 140 * MiB, Ms(250), disabled));
        Assert.Equal(HeapTrimAction.None, policy.Observe(100 * MiB, 120 * MiB, 140 * MiB, Ms(5000), disabled));
        var longerQuiet = Defaults with { QuietPeriod = TimeSpan.FromSeconds(10) };
        Assert.Equal(HeapTrimAction.None, policy.Observe(100 * MiB, 120 * MiB, 140 * MiB, Ms(5250), longerQuiet));
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(100 * MiB, 120 * MiB, 140 * MiB, Ms(10250), longerQuiet));
    }

    [Fact]
    public void The_quiet_rate_is_per_second_whatever_the_interval_between_checks()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        var options = Defaults with { QuietPeriod = TimeSpan.FromSeconds(2) };
        Assert.Equal(HeapTrimAction.None, policy.Observe(10 * MiB, 30 * MiB, 30 * MiB, Ms(100), options));
        // 1.5 MiB over 2 s is 0.75 MiB a second: quiet, so quiet since the burst. The same over 1 s would not be.
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(10 * MiB + (3 * MiB / 2), 30 * MiB, 30 * MiB, Ms(2100), options));

        var other = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, other.Observe(10 * MiB, 30 * MiB, 30 * MiB, Ms(100), options));
        Assert.Equal(HeapTrimAction.None, other.Observe(10 * MiB + (3 * MiB / 2), 30 * MiB, 30 * MiB, Ms(1100), options));
        Assert.Equal(HeapTrimAction.None, other.Observe(10 * MiB + (3 * MiB / 2), 30 * MiB, 30 * MiB, Ms(2200), options));
        Assert.Equal(HeapTrimAction.Trim, other.Observe(10 * MiB + (3 * MiB / 2), 30 * MiB, 30 * MiB, Ms(3100), options));
    }

    [Fact]
    public void The_heap_is_settled_only_when_allocation_is_quiet_and_nothing_is_left_to_collect_or_trim()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, policy.Observe(0, 20 * MiB, 21 * MiB, Ms(1000), Defaults));
        Assert.True(policy.Settled, "quiet since start, no growth");

        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB, 70 * MiB, 72 * MiB, Ms(1250), Defaults)); // a burst
        Assert.False(policy.Settled);
        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB, 70 * MiB, 72 * MiB, Ms(2000), Defaults));
        Assert.False(policy.Settled, "quiet, but not yet for the period, with growth to trim");
        Assert.Equal(HeapTrimAction.Trim, policy.Observe(60 * MiB, 70 * MiB, 72 * MiB, Ms(2250), Defaults));
        Assert.False(policy.Settled, "a trim is work done at this check");
        policy.Trimmed(60 * MiB, 22 * MiB);

        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB, 22 * MiB, 23 * MiB, Ms(2500), Defaults));
        Assert.True(policy.Settled);
    }

    [Fact]
    public void A_young_generation_past_the_threshold_is_not_settled()
    {
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.CollectYoung, policy.Observe(0, 20 * MiB, 40 * MiB, Ms(1250), Defaults));
        Assert.False(policy.Settled);
    }

    [Fact]
    public void With_trimming_off_the_heap_is_always_settled()
    {
        var off = new MemoryOptions { TrimWhenQuiet = false };
        var policy = new HeapTrimPolicy(0, 20 * MiB, TimeSpan.Zero);
        Assert.Equal(HeapTrimAction.None, policy.Observe(60 * MiB, 70 * MiB, 72 * MiB, Ms(250), off));
        Assert.True(policy.Settled);
    }
}
