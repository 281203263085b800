using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StratumProxy.Configuration;
using StratumProxy.Filtering;

namespace StratumProxy.Tests.Filtering;

public sealed class BanPolicyTests : IDisposable
{
    private static readonly IPAddress Miner = IPAddress.Parse("203.0.113.7");

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("ban-policy-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FilterMetrics _metrics = FilteringTestSupport.NewMetrics(out _);
    private readonly FileBanStore _store;

    public BanPolicyTests()
    {
        _store = new FileBanStore(Path.Combine(_directory.FullName, FileBanStore.FileName), _time, NullLogger<FileBanStore>.Instance);
    }

    public void Dispose()
    {
        _store.FlushAsync().GetAwaiter().GetResult();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public void Invalid_share_rule_bans_only_once_the_threshold_is_reached()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, CheckThreshold = 10, InvalidPercent = 50 });

        for (var i = 0; i < 9; i++)
        {
            Assert.False(policy.RecordShare(Miner, accepted: false), $"share {i + 1} of 9, all invalid, is below the threshold");
        }

        Assert.False(policy.IsBanned(Miner, out _));
        Assert.True(policy.RecordShare(Miner, accepted: false));
        Assert.True(policy.IsBanned(Miner, out var expiresAt));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(10), expiresAt);
        Assert.Equal(1, _metrics.Bans.WithLabels(BanReasons.InvalidShares).Value);
        Assert.Equal(1, _metrics.BannedAddresses.Value);
    }

    [Fact]
    public void Exactly_the_invalid_percent_is_not_a_ban_and_the_counts_start_over()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, CheckThreshold = 10, InvalidPercent = 50 });

        for (var i = 0; i < 5; i++)
        {
            Assert.False(policy.RecordShare(Miner, accepted: true));
            Assert.False(policy.RecordShare(Miner, accepted: false));
        }

        Assert.False(policy.IsBanned(Miner, out _));

        // Had the counts not been reset, 5 + 9 invalid of 19 would already be checked; after a reset 9 shares stay
        // below the threshold and the tenth, 100 % invalid, bans.
        for (var i = 0; i < 9; i++)
        {
            Assert.False(policy.RecordShare(Miner, accepted: false));
        }

        Assert.True(policy.RecordShare(Miner, accepted: false));
    }

    [Fact]
    public void Just_above_the_invalid_percent_bans()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, CheckThreshold = 10, InvalidPercent = 50 });
        for (var i = 0; i < 4; i++)
        {
            policy.RecordShare(Miner, accepted: true);
        }

        for (var i = 0; i < 5; i++)
        {
            policy.RecordShare(Miner, accepted: false);
        }

        Assert.True(policy.RecordShare(Miner, accepted: false), "6 of 10 invalid is 60 % > 50 %");
    }

    [Fact]
    public void Malformed_lines_ban_at_the_configured_count()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, MalformedLinesBeforeBan = 3, BanTime = TimeSpan.FromMinutes(5) });

        Assert.False(policy.RecordMalformedLine(Miner));
        Assert.False(policy.RecordMalformedLine(Miner));
        Assert.False(policy.IsBanned(Miner, out _));
        Assert.True(policy.RecordMalformedLine(Miner));
        Assert.True(policy.IsBanned(Miner, out var expiresAt));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), expiresAt);
        Assert.Equal(1, _metrics.Bans.WithLabels(BanReasons.MalformedLines).Value);
        Assert.Equal(BanReasons.MalformedLines, Assert.Single(policy.List()).Reason);
    }

    [Fact]
    public void Zero_malformed_lines_disables_that_rule()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, MalformedLinesBeforeBan = 0 });
        for (var i = 0; i < 100; i++)
        {
            Assert.False(policy.RecordMalformedLine(Miner));
        }

        Assert.False(policy.IsBanned(Miner, out _));
    }

    [Fact]
    public void Disabled_banning_counts_nothing_and_refuses_nobody()
    {
        var options = new BanningOptions { Enabled = true, MalformedLinesBeforeBan = 1 };
        var policy = NewPolicy(() => options);
        Assert.True(policy.RecordMalformedLine(Miner));

        options = options with { Enabled = false };
        Assert.False(policy.IsBanned(Miner, out _), "a ban on record is not enforced while banning is disabled");
        Assert.False(policy.RecordMalformedLine(IPAddress.Parse("203.0.113.8")));
        Assert.Equal(0, policy.TrackedAddresses);
    }

    [Fact]
    public void Bans_expire_after_ban_time()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, MalformedLinesBeforeBan = 1, BanTime = TimeSpan.FromMinutes(10) });
        policy.RecordMalformedLine(Miner);

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.True(policy.IsBanned(Miner, out _));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(policy.IsBanned(Miner, out _));
        Assert.Empty(policy.List());
    }

    [Fact]
    public void IPv4_mapped_addresses_are_the_same_client_as_IPv4()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, MalformedLinesBeforeBan = 2 });
        policy.RecordMalformedLine(Miner.MapToIPv6());
        Assert.True(policy.RecordMalformedLine(Miner));
        Assert.True(policy.IsBanned(Miner.MapToIPv6(), out _));
        Assert.Equal(Miner, Assert.Single(policy.List()).Address);
    }

    [Fact]
    public void Lift_removes_the_ban_and_the_counts()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, MalformedLinesBeforeBan = 2 });
        policy.RecordMalformedLine(Miner);
        policy.RecordMalformedLine(Miner);

        Assert.True(policy.Lift(Miner));
        Assert.False(policy.IsBanned(Miner, out _));
        Assert.False(policy.Lift(Miner));
        Assert.Equal(0, _metrics.BannedAddresses.Value);
        Assert.False(policy.RecordMalformedLine(Miner), "counts start from zero after a lift");
    }

    [Fact]
    public void Counters_stay_bounded_under_a_flood_of_addresses()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, CheckThreshold = 1000 }, maxTrackedAddresses: 50);
        for (var i = 0; i < 1000; i++)
        {
            policy.RecordShare(new IPAddress([198, 18, (byte)(i >> 8), (byte)i]), accepted: true);
            Assert.True(policy.TrackedAddresses <= 51, $"{policy.TrackedAddresses} addresses tracked after {i + 1}");
        }
    }

    [Fact]
    public void Idle_counters_are_forgotten()
    {
        var policy = NewPolicy(new BanningOptions { Enabled = true, CheckThreshold = 1000 }, idleLifetime: TimeSpan.FromMinutes(30));
        policy.RecordShare(Miner, accepted: false);
        Assert.Equal(1, policy.TrackedAddresses);

        _time.Advance(TimeSpan.FromMinutes(31));
        Assert.False(policy.IsBanned(Miner, out _));
        Assert.Equal(0, policy.TrackedAddresses);
    }

    private BanPolicy NewPolicy(BanningOptions options, int maxTrackedAddresses = BanPolicy.DefaultMaxTrackedAddresses, TimeSpan? idleLifetime = null) =>
        NewPolicy(() => options, maxTrackedAddresses, idleLifetime);

    private BanPolicy NewPolicy(Func<BanningOptions> options, int maxTrackedAddresses = BanPolicy.DefaultMaxTrackedAddresses, TimeSpan? idleLifetime = null) =>
        new(options, _store, _metrics, _time, NullLogger<BanPolicy>.Instance, maxTrackedAddresses, idleLifetime);
}
