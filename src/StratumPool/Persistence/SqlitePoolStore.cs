using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using StratumPool.Metrics;

namespace StratumPool.Persistence;

/// <summary>
/// Shares and blocks in one SQLite file (WAL, <c>synchronous=FULL</c>). Shares are group-committed by one writer:
/// whatever is queued while a commit runs goes into the next transaction, and each caller's task completes
/// only after the commit that holds its share, so an acknowledged share survives a crash.
/// </summary>
public sealed partial class SqlitePoolStore : IShareStore, IBlockStore, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly int _maxBatchSize;
    private readonly TimeProvider _time;
    private readonly PoolMetrics? _metrics;
    private readonly ILogger<SqlitePoolStore> _logger;
    private readonly Channel<PendingShare> _queue = Channel.CreateUnbounded<PendingShare>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _writer;
    private readonly Task _writerLoop;

    public SqlitePoolStore(string connectionString, int maxBatchSize, TimeProvider time, PoolMetrics? metrics, ILogger<SqlitePoolStore> logger)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode is SqliteOpenMode.ReadWriteCreate && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }

        _connectionString = builder.ToString();
        _maxBatchSize = maxBatchSize;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, "PRAGMA journal_mode=WAL;");
        Execute(_writer, "PRAGMA synchronous=FULL;");
        Execute(_writer, "PRAGMA busy_timeout=5000;");
        Execute(_writer, Schema);
        _writerLoop = Task.Run(WriteLoopAsync);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS shares (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            pool_id TEXT NOT NULL,
            worker TEXT NOT NULL,
            address TEXT NOT NULL,
            difficulty REAL NOT NULL,
            network_difficulty REAL NOT NULL,
            height INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            ip TEXT
        );
        CREATE INDEX IF NOT EXISTS ix_shares_pool_created ON shares (pool_id, created_at);
        CREATE INDEX IF NOT EXISTS ix_shares_pool_address_created ON shares (pool_id, address, created_at);
        CREATE TABLE IF NOT EXISTS blocks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            pool_id TEXT NOT NULL,
            height INTEGER NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            reward INTEGER NOT NULL,
            finder_worker TEXT NOT NULL,
            finder_address TEXT NOT NULL,
            network_difficulty REAL NOT NULL,
            status TEXT NOT NULL,
            confirmations INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_blocks_pool_height ON blocks (pool_id, height);
        """;

    public ValueTask AppendAsync(ShareRecord share, CancellationToken cancellationToken)
    {
        var pending = new PendingShare(share, _time.GetTimestamp());
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(SqlitePoolStore));
        }

        return new ValueTask(pending.Completion.Task.WaitAsync(cancellationToken));
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingShare>(_maxBatchSize);
        using var insert = _writer.CreateCommand();
        insert.CommandText = """
            INSERT INTO shares (pool_id, worker, address, difficulty, network_difficulty, height, created_at, ip)
            VALUES ($pool, $worker, $address, $difficulty, $networkDifficulty, $height, $createdAt, $ip);
            """;
        var pool = insert.Parameters.Add("$pool", SqliteType.Text);
        var worker = insert.Parameters.Add("$worker", SqliteType.Text);
        var address = insert.Parameters.Add("$address", SqliteType.Text);
        var difficulty = insert.Parameters.Add("$difficulty", SqliteType.Real);
        var networkDifficulty = insert.Parameters.Add("$networkDifficulty", SqliteType.Real);
        var height = insert.Parameters.Add("$height", SqliteType.Integer);
        var createdAt = insert.Parameters.Add("$createdAt", SqliteType.Integer);
        var ip = insert.Parameters.Add("$ip", SqliteType.Text);

        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                using var transaction = _writer.BeginTransaction();
                insert.Transaction = transaction;
                foreach (var item in batch)
                {
                    var share = item.Share;
                    pool.Value = share.PoolId;
                    worker.Value = share.Worker;
                    address.Value = share.Address;
                    difficulty.Value = share.Difficulty;
                    networkDifficulty.Value = share.NetworkDifficulty;
                    height.Value = share.Height;
                    createdAt.Value = share.CreatedAt.ToUnixTimeMilliseconds();
                    ip.Value = (object?)share.IpAddress ?? DBNull.Value;
                    insert.ExecuteNonQuery();
                }

                transaction.Commit();
                var now = _time.GetTimestamp();
                foreach (var item in batch)
                {
                    _metrics?.ShareStoreLatency.Observe(_time.GetElapsedTime(item.QueuedAt, now).TotalSeconds);
                    item.Completion.TrySetResult();
                }
            }
            catch (Exception exception) when (exception is SqliteException or InvalidOperationException or IOException)
            {
                LogBatchFailed(exception, batch.Count);
                foreach (var item in batch)
                {
                    item.Completion.TrySetException(new ShareNotStoredException("share not stored", exception));
                }
            }
        }
    }

    public async Task<IReadOnlyList<WorkerShareStats>> GetWorkerStatsAsync(string poolId, string address, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT worker, COUNT(*), SUM(difficulty), MAX(created_at) FROM shares
            WHERE pool_id = $pool AND address = $address AND created_at >= $since
            GROUP BY worker ORDER BY worker;
            """;
        command.Parameters.AddWithValue("$pool", poolId);
        command.Parameters.AddWithValue("$address", address);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        var result = new List<WorkerShareStats>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new WorkerShareStats(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetDouble(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3))));
        }

        return result;
    }

    public async Task<long> CountSharesAsync(string poolId, string? address, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = address is null
            ? "SELECT COUNT(*) FROM shares WHERE pool_id = $pool AND created_at >= $since;"
            : "SELECT COUNT(*) FROM shares WHERE pool_id = $pool AND address = $address AND created_at >= $since;";
        command.Parameters.AddWithValue("$pool", poolId);
        command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
        if (address is not null)
        {
            command.Parameters.AddWithValue("$address", address);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<BlockRecord> AddAsync(BlockRecord block, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO blocks (pool_id, height, hash, reward, finder_worker, finder_address, network_difficulty, status, confirmations, created_at, updated_at)
            VALUES ($pool, $height, $hash, $reward, $worker, $address, $networkDifficulty, $status, $confirmations, $createdAt, $updatedAt)
            ON CONFLICT(hash) DO NOTHING;
            SELECT id FROM blocks WHERE hash = $hash;
            """;
        command.Parameters.AddWithValue("$pool", block.PoolId);
        command.Parameters.AddWithValue("$height", block.Height);
        command.Parameters.AddWithValue("$hash", block.Hash);
        command.Parameters.AddWithValue("$reward", block.Reward);
        command.Parameters.AddWithValue("$worker", block.FinderWorker);
        command.Parameters.AddWithValue("$address", block.FinderAddress);
        command.Parameters.AddWithValue("$networkDifficulty", block.NetworkDifficulty);
        command.Parameters.AddWithValue("$status", block.Status.ToString());
        command.Parameters.AddWithValue("$confirmations", block.Confirmations);
        command.Parameters.AddWithValue("$createdAt", block.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$updatedAt", now.ToUnixTimeMilliseconds());
        var id = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return block with { Id = id, UpdatedAt = now };
    }

    public Task<IReadOnlyList<BlockRecord>> GetRecentAsync(string poolId, int limit, CancellationToken cancellationToken) =>
        QueryBlocksAsync("WHERE pool_id = $pool ORDER BY height DESC, id DESC LIMIT $limit", poolId, limit, cancellationToken);

    public Task<IReadOnlyList<BlockRecord>> GetPendingAsync(string poolId, CancellationToken cancellationToken) =>
        QueryBlocksAsync("WHERE pool_id = $pool AND status = 'Pending' ORDER BY height LIMIT $limit", poolId, 10_000, cancellationToken);

    public async Task UpdateStatusAsync(long id, BlockStatus status, int confirmations, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE blocks SET status = $status, confirmations = $confirmations, updated_at = $updatedAt WHERE id = $id;";
        command.Parameters.AddWithValue("$status", status.ToString());
        command.Parameters.AddWithValue("$confirmations", confirmations);
        command.Parameters.AddWithValue("$updatedAt", _time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> CountAsync(string poolId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM blocks WHERE pool_id = $pool;";
        command.Parameters.AddWithValue("$pool", poolId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private async Task<IReadOnlyList<BlockRecord>> QueryBlocksAsync(string where, string poolId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id, pool_id, height, hash, reward, finder_worker, finder_address, network_difficulty, status, confirmations, created_at, updated_at
            FROM blocks {where};
            """;
        command.Parameters.AddWithValue("$pool", poolId);
        command.Parameters.AddWithValue("$limit", limit);
        var result = new List<BlockRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new BlockRecord(
                reader.GetString(1),
                reader.GetInt64(2),
                reader.GetString(3),
                reader.GetInt64(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.GetDouble(7),
                Enum.Parse<BlockStatus>(reader.GetString(8)),
                reader.GetInt32(9),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)))
            {
                Id = reader.GetInt64(0),
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(11)),
            });
        }

        return result;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        Execute(connection, "PRAGMA busy_timeout=5000;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Commits what is queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        await _writer.DisposeAsync();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    private sealed record PendingShare(ShareRecord Share, long QueuedAt)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Writing a batch of {Count} shares failed; none of them was acknowledged")]
    private partial void LogBatchFailed(Exception exception, int count);
}

/// <summary>A share could not be made durable, so it must not be acknowledged.</summary>
public sealed class ShareNotStoredException(string message, Exception inner) : Exception(message, inner);
