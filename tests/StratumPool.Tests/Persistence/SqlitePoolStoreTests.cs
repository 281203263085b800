using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StratumPool.Metrics;
using StratumPool.Persistence;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.Persistence;

public sealed class SqlitePoolStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    private SqlitePoolStore Open(string name = "pool.db") => new(
        $"Data Source={_directory.File(name)}",
        64,
        _time,
        new PoolMetrics(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry())),
        NullLogger<SqlitePoolStore>.Instance);

    private ShareRecord Share(string worker, double difficulty, string address = "bcrt1qminer") =>
        new("btc", worker, address, difficulty, 0.1, 101, _time.GetUtcNow(), "127.0.0.9");

    [Fact]
    public async Task Acknowledged_shares_are_queryable_per_worker()
    {
        await using var store = Open();
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => store.AppendAsync(Share(i % 2 == 0 ? "bcrt1qminer.a" : "bcrt1qminer.b", 2), default).AsTask()));
        await store.AppendAsync(Share("other.x", 5, "other"), default);

        var stats = await store.GetWorkerStatsAsync("btc", "bcrt1qminer", _time.GetUtcNow().AddMinutes(-1), default);

        Assert.Equal(["bcrt1qminer.a", "bcrt1qminer.b"], stats.Select(s => s.Worker));
        Assert.All(stats, s => Assert.Equal(50, s.Shares));
        Assert.All(stats, s => Assert.Equal(100, s.DifficultySum));
        Assert.Equal(101, await store.CountSharesAsync("btc", null, _time.GetUtcNow().AddMinutes(-1), default));
        Assert.Equal(0, await store.CountSharesAsync("btc", null, _time.GetUtcNow().AddMinutes(1), default));
    }

    /// <summary>
    /// Crash-like: once AppendAsync has completed, the share is on disk. The store is never disposed or flushed;
    /// the database and its WAL are copied as they are (what a killed process leaves behind) and opened elsewhere.
    /// </summary>
    [Fact]
    public async Task Acknowledged_share_survives_a_crash()
    {
        var store = Open();
        await store.AppendAsync(Share("bcrt1qminer.crash", 7), default);

        var crashDirectory = Path.Combine(_directory.Path, "after-crash");
        Directory.CreateDirectory(crashDirectory);
        foreach (var file in Directory.GetFiles(_directory.Path, "pool.db*"))
        {
            File.Copy(file, Path.Combine(crashDirectory, Path.GetFileName(file)));
        }

        Assert.True(File.Exists(Path.Combine(crashDirectory, "pool.db-wal")), "the share should be in the write-ahead log");
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(crashDirectory, "pool.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT worker, difficulty, ip FROM shares;";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("bcrt1qminer.crash", reader.GetString(0));
            Assert.Equal(7, reader.GetDouble(1));
            Assert.Equal("127.0.0.9", reader.GetString(2));
            Assert.False(await reader.ReadAsync());
        }

        await store.DisposeAsync();
    }

    [Fact]
    public async Task Shares_queued_at_dispose_are_committed_and_reopen_finds_them()
    {
        var store = Open();
        var pending = Enumerable.Range(0, 20).Select(i => store.AppendAsync(Share("bcrt1qminer.q", 1), default).AsTask()).ToList();
        await store.DisposeAsync();
        await Task.WhenAll(pending);

        await using var reopened = Open();
        Assert.Equal(20, await reopened.CountSharesAsync("btc", "bcrt1qminer", DateTimeOffset.MinValue, default));
    }

    [Fact]
    public async Task Blocks_are_added_once_and_follow_their_status()
    {
        await using var store = Open();
        var block = new BlockRecord("btc", 101, new string('b', 64), 5_000_000_000, "bcrt1qminer.a", "bcrt1qminer", 0.1, BlockStatus.Pending, 0, _time.GetUtcNow());

        var added = await store.AddAsync(block, default);
        var again = await store.AddAsync(block, default);
        Assert.True(added.Id > 0);
        Assert.Equal(added.Id, again.Id);
        Assert.Equal(1, await store.CountAsync("btc", default));

        await store.UpdateStatusAsync(added.Id, BlockStatus.Pending, 3, default);
        Assert.Equal(3, Assert.Single(await store.GetPendingAsync("btc", default)).Confirmations);

        await store.UpdateStatusAsync(added.Id, BlockStatus.Confirmed, 100, default);
        Assert.Empty(await store.GetPendingAsync("btc", default));
        var recent = Assert.Single(await store.GetRecentAsync("btc", 10, default));
        Assert.Equal(BlockStatus.Confirmed, recent.Status);
        Assert.Equal(5_000_000_000, recent.Reward);
    }

    [Fact]
    public async Task Confirmation_watcher_confirms_deep_blocks_and_orphans_replaced_ones()
    {
        await using var store = Open();
        var chain = new ListChain();
        for (var height = 0; height <= 120; height++)
        {
            chain.Hashes.Add(height.ToString("x64", System.Globalization.CultureInfo.InvariantCulture));
        }

        var deep = await store.AddAsync(new BlockRecord("btc", 10, chain.Hashes[10], 1, "w", "a", 1, BlockStatus.Pending, 0, _time.GetUtcNow()), default);
        var shallow = await store.AddAsync(new BlockRecord("btc", 110, chain.Hashes[110], 1, "w", "a", 1, BlockStatus.Pending, 0, _time.GetUtcNow()), default);
        var orphan = await store.AddAsync(new BlockRecord("btc", 50, new string('f', 64), 1, "w", "a", 1, BlockStatus.Pending, 0, _time.GetUtcNow()), default);

        var metrics = new PoolMetrics(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
        var watcher = new BlockConfirmationWatcher(store, chain, Options.Create(new PoolOptions { BlockConfirmations = 100 }), metrics, _time, NullLogger<BlockConfirmationWatcher>.Instance);

        Assert.Equal(2, await watcher.CheckOnceAsync(default));

        var blocks = (await store.GetRecentAsync("btc", 10, default)).ToDictionary(b => b.Id);
        Assert.Equal(BlockStatus.Confirmed, blocks[deep.Id].Status);
        Assert.Equal(111, blocks[deep.Id].Confirmations);
        Assert.Equal(BlockStatus.Orphaned, blocks[orphan.Id].Status);
        Assert.Equal(BlockStatus.Pending, blocks[shallow.Id].Status);
        Assert.Equal(11, blocks[shallow.Id].Confirmations);
        Assert.Equal(1, metrics.BlocksFound.WithLabels("orphaned").Value);
    }

    /// <summary>A chain as a list of hashes by height (the watcher only asks for the tip and hashes).</summary>
    private sealed class ListChain : IChainReader
    {
        public List<string> Hashes { get; } = [];

        public Task<long> GetBlockCountAsync(CancellationToken cancellationToken) => Task.FromResult((long)Hashes.Count - 1);

        public Task<string?> GetBlockHashAsync(long height, CancellationToken cancellationToken) =>
            Task.FromResult(height < Hashes.Count ? Hashes[(int)height] : null);
    }
}
