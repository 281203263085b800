using Microsoft.Extensions.Time.Testing;
using StratumPool.VarDiff;

namespace StratumPool.Tests.VarDiff;

public sealed class VarDiffControllerTests
{
    private static readonly VarDiffOptions Options = new() { MinDiff = 0.001, MaxDiff = 1_000_000, TargetTime = 15, RetargetTime = 90, VariancePercent = 30 };

    /// <summary>
    /// A miner of a known hash rate finds shares as a Poisson process: inter-arrival times are exponential with
    /// mean difficulty·2^32/hashrate. Starting far from the right difficulty, vardiff must bring the miner to the
    /// target share time: over the second half of a simulated run, the observed mean time between shares is within
    /// the variance band and the difficulty's geometric mean is close to the ideal one (TargetTime·hashrate/2^32).
    /// </summary>
    [Theory]
    [InlineData(13e6, 1.0, 1)]         // CPU miner starting too easy
    [InlineData(13e6, 10_000.0, 2)]    // CPU miner starting far too hard (rescued by the idle rule)
    [InlineData(500e9, 1.0, 3)]        // small ASIC starting far too easy
    [InlineData(1.2e12, 0.001, 4)]     // Bitaxe-class miner from the minimum
    public void Converges_to_the_target_share_time(double hashrate, double initialDifficulty, int seed)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var random = new Random(seed);
        var controller = new VarDiffController(Options, time);
        var difficulty = initialDifficulty;
        var twoPow32 = Math.Pow(2, 32);
        var ideal = Options.TargetTime * hashrate / twoPow32;
        var runSeconds = TimeSpan.FromHours(8).TotalSeconds;
        var halfway = runSeconds / 2;
        var clock = 0.0;
        var sharesAfterHalfway = 0;
        var logDifficultyTime = 0.0;

        // Bounded in simulated time and in steps.
        for (var step = 0; step < 200_000 && clock < runSeconds; step++)
        {
            var mean = difficulty * twoPow32 / hashrate;
            var wait = -mean * Math.Log(1 - random.NextDouble());

            // The housekeeping sweep runs every 5 s while the miner is silent; a lowered difficulty restarts the wait.
            var elapsed = 0.0;
            double? lowered = null;
            while (elapsed + 5 < wait && lowered is null)
            {
                time.Advance(TimeSpan.FromSeconds(5));
                elapsed += 5;
                lowered = controller.OnIdleCheck(difficulty);
            }

            var spent = lowered is null ? wait : elapsed;
            if (lowered is null)
            {
                time.Advance(TimeSpan.FromSeconds(wait - elapsed));
            }

            if (clock >= halfway)
            {
                logDifficultyTime += Math.Log(difficulty) * spent;
            }

            clock += spent;
            if (lowered is { } value)
            {
                difficulty = value;
                continue;
            }

            if (clock >= halfway)
            {
                sharesAfterHalfway++;
            }

            if (controller.OnShare(difficulty) is { } next)
            {
                difficulty = next;
            }
        }

        Assert.True(clock >= runSeconds, "the simulation ran out of steps");
        var observedShareTime = (clock - halfway) / sharesAfterHalfway;
        Assert.InRange(observedShareTime, Options.TargetTime * 0.7, Options.TargetTime * 1.3);
        var geometricMean = Math.Exp(logDifficultyTime / (clock - halfway));
        Assert.InRange(geometricMean / ideal, 1 / 1.3, 1.3);
    }

    [Fact]
    public void First_share_only_starts_the_clock()
    {
        var time = new FakeTimeProvider();
        var controller = new VarDiffController(Options, time);
        Assert.Null(controller.OnShare(1));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(controller.OnShare(1));
    }

    [Fact]
    public void Retargets_are_clamped_to_min_and_max()
    {
        var time = new FakeTimeProvider();
        var options = Options with { MinDiff = 0.5, MaxDiff = 4 };
        var controller = new VarDiffController(options, time);
        controller.OnShare(1);
        double? raised = null;
        for (var i = 0; i < 200 && raised is null; i++)
        {
            time.Advance(TimeSpan.FromSeconds(0.5));
            raised = controller.OnShare(1);
        }

        Assert.Equal(4, raised);

        var slow = new VarDiffController(options, time);
        slow.OnShare(2);
        double? lowered = null;
        for (var i = 0; i < 20 && lowered is null; i++)
        {
            time.Advance(TimeSpan.FromSeconds(600));
            lowered = slow.OnShare(2);
        }

        Assert.Equal(0.5, lowered);
    }

    [Fact]
    public void Silent_miner_is_lowered_after_a_retarget_period_and_not_before()
    {
        var time = new FakeTimeProvider();
        var controller = new VarDiffController(Options, time);
        time.Advance(TimeSpan.FromSeconds(Options.RetargetTime - 1));
        Assert.Null(controller.OnIdleCheck(100));

        time.Advance(TimeSpan.FromSeconds(2));
        var lowered = controller.OnIdleCheck(100);

        Assert.NotNull(lowered);
        Assert.InRange(lowered.Value, 100 * Options.TargetTime / 92, 100 * Options.TargetTime / 90);

        // Not again until another retarget period has passed.
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(controller.OnIdleCheck(lowered.Value));
    }

    [Fact]
    public void Suggested_floor_below_min_diff_is_respected()
    {
        var time = new FakeTimeProvider();
        var controller = new VarDiffController(Options with { MinDiff = 1 }, time, minDiffOverride: 0.0001);
        Assert.Equal(0.0001, controller.MinDiff);
    }
}
