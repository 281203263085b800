using System.Net;
using System.Net.Sockets;
using MaxMind.Db;

namespace StratumProxy.Filtering;

/// <summary>
/// Country lookup in a MaxMind DB file (GeoLite2/GeoIP2 Country, DB-IP, ip-location-db). The file is read whole into
/// memory and re-read when it changes on disk; a replacement that cannot be read is logged and the old data stays.
/// </summary>
public sealed partial class MaxMindCountryLookup : ICountryLookup, IDisposable
{
    private static readonly TimeSpan ReloadDelay = TimeSpan.FromSeconds(1);

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger<MaxMindCountryLookup> _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer? _reloadTimer;
    private Reader _reader;

    /// <exception cref="GeoDatabaseException">The file is missing or is not a MaxMind DB.</exception>
    public MaxMindCountryLookup(string path, TimeProvider time, ILogger<MaxMindCountryLookup> logger, bool reloadOnChange = true)
    {
        _path = Path.GetFullPath(path);
        _time = time;
        _logger = logger;
        _reader = Open(_path);
        LogOpened(_path, _reader.Metadata.DatabaseType, _reader.Metadata.BuildDate);

        if (reloadOnChange)
        {
            _reloadTimer = _time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnFileChanged;
            _watcher.Created += OnFileChanged;
            _watcher.Renamed += OnFileChanged;
            _watcher.EnableRaisingEvents = true;
        }
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => _path;

    /// <summary>When the database in use was built, from its metadata.</summary>
    public DateTime BuildDate => Volatile.Read(ref _reader).Metadata.BuildDate;

    public string? GetCountry(IPAddress address)
    {
        address = ClientAddress.Normalize(address);
        if (ClientAddress.IsNonPublic(address))
        {
            return null;
        }

        var reader = Volatile.Read(ref _reader);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && reader.Metadata.IPVersion == 4)
        {
            return null;
        }

        try
        {
            return reader.Find<CountryRecord>(address)?.IsoCode;
        }
        catch (Exception ex) when (ex is InvalidDatabaseException or DeserializationException)
        {
            LogLookupFailed(address, _path, ex);
            return null;
        }
    }

    /// <summary>Reads the file again; false (and the old data kept) when it cannot be read.</summary>
    public bool Reload()
    {
        Reader fresh;
        try
        {
            fresh = Open(_path);
        }
        catch (GeoDatabaseException ex)
        {
            LogReloadFailed(_path, ex.InnerException?.Message ?? ex.Message);
            return false;
        }

        // The old reader holds the file in managed memory, not a mapping, so lookups still running on it finish
        // safely; it is left to the garbage collector rather than disposed under them.
        Volatile.Write(ref _reader, fresh);
        LogReloaded(_path, fresh.Metadata.BuildDate);
        return true;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _reloadTimer?.Dispose();
        _reader.Dispose();
    }

    private void OnFileChanged(object sender, FileSystemEventArgs e) =>
        // Writers touch the file several times; wait until it has been quiet for a moment.
        _reloadTimer?.Change(ReloadDelay, Timeout.InfiniteTimeSpan);

    private static Reader Open(string path)
    {
        try
        {
            return new Reader(path, FileAccessMode.Memory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDatabaseException)
        {
            throw new GeoDatabaseException($"Country database '{path}' could not be opened: {ex.Message}", ex);
        }
    }
}

/// <summary>A country database that is missing or unreadable.</summary>
public sealed class GeoDatabaseException(string message, Exception innerException) : Exception(message, innerException);
