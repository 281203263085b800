using StratumProxy.Configuration;
using StratumProxy.Memory;

namespace StratumProxy.Tests.Memory;

public sealed class HeapTrimPolicyTests
{
    private const long MiB = 1024 * 1024;

    private static readonly MemoryOptions Defaults = new();

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void A_burst_is_trimmed_once_allocation_has_been_quiet_for_the_period()
    {
        var policy = new HeapTrimPolicy(0, TimeSpan.Zero);
        Assert.False(policy.Observe(60 * MiB, Ms(250), Defaults)); // the burst
        Assert.False(policy.Observe(60 * MiB, Ms(500), Defaults));
        Assert.False(policy.Observe(60 * MiB + 1000, Ms(750), Defaults));
        Assert.False(policy.Observe(60 * MiB + 1000, Ms(1000), Defaults));
        Assert.True(policy.Observe(60 * MiB + 2000, Ms(1250), Defaults)); // quiet since 250 ms
        Assert.Equal(60 * MiB + 2000, policy.AllocatedSinceTrim);
    }

    [Fact]
    public void Steady_allocation_above_the_quiet_rate_never_trims()
    {
        var policy = new HeapTrimPolicy(0, TimeSpan.Zero);
        long allocated = 0;
        for (var tick = 1; tick <= 40; tick++)
        {
            allocated += 2 * MiB / 4; // 2 MiB a second, against a quiet rate of 1 MiB a second
            Assert.False(policy.Observe(allocated, Ms(250 * tick), Defaults), $"tick {tick}");
        }
    }

    [Fact]
    public void Too_little_allocated_since_the_last_trim_is_not_worth_a_pause()
    {
        var policy = new HeapTrimPolicy(0, TimeSpan.Zero);
        for (var tick = 1; tick <= 20; tick++)
        {
            Assert.False(policy.Observe(7 * MiB, Ms(250 * tick), Defaults), $"tick {tick}");
        }

        // A trickle (800 KiB a second) past the threshold: quiet, and now enough since the last trim.
        Assert.True(policy.Observe(7 * MiB + (1200 * 1024), Ms(250 * 21) + TimeSpan.FromSeconds(1.25), Defaults));
    }

    [Fact]
    public void After_a_trim_the_next_needs_its_own_burst()
    {
        var policy = new HeapTrimPolicy(0, TimeSpan.Zero);
        Assert.False(policy.Observe(20 * MiB, Ms(250), Defaults));
        Assert.True(policy.Observe(20 * MiB, Ms(1250), Defaults));
        policy.Trimmed(20 * MiB);
        Assert.Equal(0, policy.AllocatedSinceTrim);
        Assert.False(policy.Observe(20 * MiB, Ms(5000), Defaults));
        Assert.False(policy.Observe(29 * MiB, Ms(5250), Defaults));
        Assert.False(policy.Observe(29 * MiB, Ms(6000), Defaults));
        Assert.True(policy.Observe(29 * MiB, Ms(6250), Defaults));
    }

    [Fact]
    public void Disabled_never_trims_and_the_settings_are_read_at_every_check()
    {
        var policy = new HeapTrimPolicy(0, TimeSpan.Zero);
        var disabled = Defaults with { TrimWhenQuiet = false };
        Assert.False(policy.Observe(100 * MiB, Ms(250), disabled));
        Assert.False(policy.Observe(100 * MiB, Ms(5000), disabled));
        var longerQuiet = Defaults with { QuietPeriod = TimeSpan.FromSeconds(10) };
        Assert.False(policy.Observe(100 * MiB, Ms(5250), longerQuiet));
        Assert.True(policy.Observe(100 * MiB, Ms(10250), longerQuiet));
    }

    [Fact]
    public void The_quiet_rate_is_per_second_whatever_the_interval_between_checks()
    {
        var policy = new HeapTrimPolicy(0, TimeSpan.Zero);
        var options = Defaults with { QuietPeriod = TimeSpan.FromSeconds(2) };
        Assert.False(policy.Observe(10 * MiB, Ms(100), options));
        // 1.5 MiB over 2 s is 0.75 MiB a second: quiet, so quiet since the burst. The same over 1 s would not be.
        Assert.True(policy.Observe(10 * MiB + (3 * MiB / 2), Ms(2100), options));

        var other = new HeapTrimPolicy(0, TimeSpan.Zero);
        Assert.False(other.Observe(10 * MiB, Ms(100), options));
        Assert.False(other.Observe(10 * MiB + (3 * MiB / 2), Ms(1100), options));
        Assert.False(other.Observe(10 * MiB + (3 * MiB / 2), Ms(2200), options));
        Assert.True(other.Observe(10 * MiB + (3 * MiB / 2), Ms(3100), options));
    }
}
