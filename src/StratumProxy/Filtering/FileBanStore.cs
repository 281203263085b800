using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace StratumProxy.Filtering;

/// <summary>
/// Bans kept in memory and persisted to one JSON file (<c>{DataPath}/bans.json</c>) so they survive a restart.
/// Writes go to a temporary file that is then renamed over the old one, so a crash never leaves half a file; bursts
/// of changes are coalesced into one write in the background.
/// </summary>
public sealed partial class FileBanStore : IBanStore, IAsyncDisposable
{
    public const string FileName = "bans.json";

    private readonly ConcurrentDictionary<IPAddress, BanEntry> _bans = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger<FileBanStore> _logger;
    private readonly Lock _writeSchedule = new();
    private long _changes;
    private bool _writing;
    private Task _writeLoop = Task.CompletedTask;

    public FileBanStore(string path, TimeProvider time, ILogger<FileBanStore> logger)
    {
        _path = Path.GetFullPath(path);
        _time = time;
        _logger = logger;
        Load();
    }

    /// <summary>The file bans are persisted to.</summary>
    public string FilePath => _path;

    public IReadOnlyList<BanEntry> List()
    {
        var now = _time.GetUtcNow();
        var inForce = new List<BanEntry>(_bans.Count);
        var expired = false;
        foreach (var (_, ban) in _bans)
        {
            if (ban.ExpiresAt > now)
            {
                inForce.Add(ban);
            }
            else
            {
                expired |= _bans.TryRemove(new KeyValuePair<IPAddress, BanEntry>(ban.Address, ban));
            }
        }

        if (expired)
        {
            SchedulePersist();
        }

        inForce.Sort((a, b) => a.ExpiresAt.CompareTo(b.ExpiresAt));
        return inForce;
    }

    public bool TryGet(IPAddress address, out BanEntry ban)
    {
        address = ClientAddress.Normalize(address);
        if (!_bans.TryGetValue(address, out var found))
        {
            ban = null!;
            return false;
        }

        if (found.ExpiresAt > _time.GetUtcNow())
        {
            ban = found;
            return true;
        }

        if (_bans.TryRemove(new KeyValuePair<IPAddress, BanEntry>(address, found)))
        {
            SchedulePersist();
        }

        ban = null!;
        return false;
    }

    public void Add(BanEntry ban)
    {
        var normalized = ban with { Address = ClientAddress.Normalize(ban.Address) };
        _bans[normalized.Address] = normalized;
        SchedulePersist();
    }

    public bool Remove(IPAddress address)
    {
        if (!_bans.TryRemove(ClientAddress.Normalize(address), out var removed))
        {
            return false;
        }

        SchedulePersist();
        return removed.ExpiresAt > _time.GetUtcNow();
    }

    /// <summary>Completes when every change made before the call is on disk (or failed to be written and was logged).</summary>
    public Task FlushAsync()
    {
        lock (_writeSchedule)
        {
            return _writeLoop;
        }
    }

    public async ValueTask DisposeAsync() => await FlushAsync();

    private void Load()
    {
        if (!File.Exists(_path))
        {
            return;
        }

        BanFile? file;
        try
        {
            using var stream = File.OpenRead(_path);
            file = JsonSerializer.Deserialize(stream, BanFileJsonContext.Default.BanFile)
                ?? throw new JsonException("the file holds null instead of an object");
            var now = _time.GetUtcNow();
            foreach (var entry in file.Bans)
            {
                if (!IPAddress.TryParse(entry.Address, out var address))
                {
                    throw new JsonException($"'{entry.Address}' is not an IP address");
                }

                if (entry.ExpiresAt > now)
                {
                    var ban = new BanEntry(ClientAddress.Normalize(address), entry.Reason, entry.BannedAt, entry.ExpiresAt);
                    _bans[ban.Address] = ban;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            _bans.Clear();
            var kept = $"{_path}.corrupt-{_time.GetUtcNow():yyyyMMddHHmmss}";
            File.Move(_path, kept, overwrite: true);
            LogCorruptFile(_path, kept, ex.Message);
            return;
        }

        LogLoaded(_bans.Count, _path);
    }

    private void SchedulePersist()
    {
        lock (_writeSchedule)
        {
            _changes++;
            if (!_writing)
            {
                _writing = true;
                _writeLoop = Task.Run(WriteLoop);
            }
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            long seen;
            lock (_writeSchedule)
            {
                seen = _changes;
            }

            try
            {
                WriteSnapshot();
            }
            catch (Exception ex)
            {
                LogWriteFailed(_path, ex);
            }

            lock (_writeSchedule)
            {
                if (_changes == seen)
                {
                    _writing = false;
                    return;
                }
            }
        }
    }

    private void WriteSnapshot()
    {
        var now = _time.GetUtcNow();
        var file = new BanFile
        {
            Bans = _bans.Values
                .Where(b => b.ExpiresAt > now)
                .OrderBy(b => b.ExpiresAt)
                .Select(b => new BanFileEntry
                {
                    Address = b.Address.ToString(),
                    Reason = b.Reason,
                    BannedAt = b.BannedAt,
                    ExpiresAt = b.ExpiresAt,
                })
                .ToList(),
        };

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, file, BanFileJsonContext.Default.BanFile);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }
}
