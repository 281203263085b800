using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StratumProxy.Filtering;

namespace StratumProxy.Tests.Filtering;

public sealed class FileBanStoreTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("ban-store-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private string BanFile => Path.Combine(_directory.FullName, "data", FileBanStore.FileName);

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task A_ban_survives_a_new_store_on_the_same_file()
    {
        var first = NewStore();
        var now = _time.GetUtcNow();
        first.Add(new BanEntry(IPAddress.Parse("203.0.113.9"), BanReasons.InvalidShares, now, now.AddMinutes(10)));
        first.Add(new BanEntry(IPAddress.Parse("2001:db8::5"), BanReasons.MalformedLines, now, now.AddMinutes(20)));
        await first.FlushAsync();

        var second = NewStore();
        Assert.True(second.TryGet(IPAddress.Parse("203.0.113.9"), out var ban));
        Assert.Equal(BanReasons.InvalidShares, ban.Reason);
        Assert.Equal(now.AddMinutes(10), ban.ExpiresAt);
        Assert.Equal(now, ban.BannedAt);
        Assert.True(second.TryGet(IPAddress.Parse("2001:db8::5"), out _));
        Assert.Equal(2, second.List().Count);
        Assert.False(File.Exists(BanFile + ".tmp"), "the temporary file was renamed over the ban file");
    }

    [Fact]
    public async Task A_lifted_ban_stays_lifted_after_a_restart()
    {
        var first = NewStore();
        var now = _time.GetUtcNow();
        first.Add(new BanEntry(IPAddress.Parse("203.0.113.9"), BanReasons.InvalidShares, now, now.AddMinutes(10)));
        first.Add(new BanEntry(IPAddress.Parse("203.0.113.10"), BanReasons.InvalidShares, now, now.AddMinutes(10)));
        Assert.True(first.Remove(IPAddress.Parse("203.0.113.9")));
        await first.FlushAsync();

        var second = NewStore();
        Assert.False(second.TryGet(IPAddress.Parse("203.0.113.9"), out _));
        Assert.True(second.TryGet(IPAddress.Parse("203.0.113.10"), out _));
    }

    [Fact]
    public async Task Expired_bans_are_dropped_on_load()
    {
        var first = NewStore();
        var now = _time.GetUtcNow();
        first.Add(new BanEntry(IPAddress.Parse("203.0.113.1"), BanReasons.InvalidShares, now, now.AddMinutes(5)));
        first.Add(new BanEntry(IPAddress.Parse("203.0.113.2"), BanReasons.InvalidShares, now, now.AddMinutes(15)));
        await first.FlushAsync();

        _time.Advance(TimeSpan.FromMinutes(10));
        var second = NewStore();
        var ban = Assert.Single(second.List());
        Assert.Equal(IPAddress.Parse("203.0.113.2"), ban.Address);
    }

    [Fact]
    public async Task Many_changes_in_a_burst_all_reach_the_file()
    {
        var store = NewStore();
        var now = _time.GetUtcNow();
        for (var i = 0; i < 200; i++)
        {
            store.Add(new BanEntry(new IPAddress([198, 51, 100, (byte)i]), BanReasons.InvalidShares, now, now.AddHours(1)));
        }

        await store.FlushAsync();
        Assert.Equal(200, NewStore().List().Count);
    }

    [Fact]
    public void A_corrupt_file_is_reported_kept_aside_and_the_store_starts_empty()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BanFile)!);
        File.WriteAllText(BanFile, "{ \"bans\": [ { \"address\": ");
        var logger = new CollectingLogger<FileBanStore>();

        var store = new FileBanStore(BanFile, _time, logger);

        Assert.Empty(store.List());
        var error = Assert.Single(logger.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains(BanFile, error.Message, StringComparison.Ordinal);
        var kept = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(BanFile)!, FileBanStore.FileName + ".corrupt-*"));
        Assert.Equal("{ \"bans\": [ { \"address\": ", File.ReadAllText(kept));
    }

    [Fact]
    public void A_file_with_a_bad_address_is_treated_as_corrupt()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BanFile)!);
        File.WriteAllText(BanFile, """{ "version": 1, "bans": [ { "address": "not-an-ip", "reason": "x", "bannedAt": "2026-01-01T00:00:00Z", "expiresAt": "2099-01-01T00:00:00Z" } ] }""");
        var logger = new CollectingLogger<FileBanStore>();

        var store = new FileBanStore(BanFile, _time, logger);

        Assert.Empty(store.List());
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("not-an-ip", StringComparison.Ordinal));
    }

    [Fact]
    public void No_file_means_no_bans()
    {
        var store = NewStore();
        Assert.Empty(store.List());
        Assert.False(store.TryGet(IPAddress.Loopback, out _));
    }

    private FileBanStore NewStore() => new(BanFile, _time, NullLogger<FileBanStore>.Instance);
}
