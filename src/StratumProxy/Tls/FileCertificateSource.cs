using System.Security.Cryptography;

namespace StratumProxy.Tls;

/// <summary>
/// A certificate from files (PEM chain + key, or PKCS#12), polled for changes: when a file's time or size changes
/// and the new files load, every slot gets the new certificate (new handshakes only). A half-written pair keeps the old one.
/// </summary>
public sealed partial class FileCertificateSource : IDisposable
{
    private readonly string _certificatePath;
    private readonly string? _keyPath;
    private readonly string? _password;
    private readonly IReadOnlyList<CertificateSlot> _slots;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private (DateTime, long, DateTime, long) _stamp;

    public FileCertificateSource(string certificatePath, string? keyPath, string? password, IReadOnlyList<CertificateSlot> slots, ILogger<FileCertificateSource> logger, TimeProvider time, TimeSpan pollInterval)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _password = password;
        _slots = slots;
        _logger = logger;
        // The first load throws: a listener whose configured files do not load must stop start-up with the reason.
        Install(Load());
        _stamp = Stamp();
        _timer = time.CreateTimer(_ => Poll(), null, pollInterval, pollInterval);
    }

    /// <summary>Checks the files now; returns true when a new certificate was installed.</summary>
    public bool Poll()
    {
        lock (_lock)
        {
            var stamp = Stamp();
            if (stamp == _stamp)
            {
                return false;
            }

            try
            {
                Install(Load());
                _stamp = stamp;
                return true;
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or InvalidDataException or ArgumentException)
            {
                LogReloadFailed(_logger, _certificatePath, ex.Message);
                return false;
            }
        }
    }

    private ServerCertificate Load()
    {
        if (_keyPath is null && !IsPem(_certificatePath))
        {
            return ServerCertificate.FromPkcs12(File.ReadAllBytes(_certificatePath), _password, "file");
        }

        var keyPath = _keyPath ?? _certificatePath;
        return ServerCertificate.FromPem(File.ReadAllText(_certificatePath), File.ReadAllText(keyPath), "file");
    }

    private void Install(ServerCertificate certificate)
    {
        foreach (var slot in _slots)
        {
            slot.Install(certificate);
        }

        LogLoaded(_logger, _certificatePath, certificate.Leaf.Subject, certificate.NotAfter, certificate.Thumbprint);
    }

    private (DateTime, long, DateTime, long) Stamp()
    {
        var certificate = new FileInfo(_certificatePath);
        var key = _keyPath is null ? null : new FileInfo(_keyPath);
        return (certificate.Exists ? certificate.LastWriteTimeUtc : default, certificate.Exists ? certificate.Length : -1,
            key is { Exists: true } ? key.LastWriteTimeUtc : default, key is { Exists: true } ? key.Length : -1);
    }

    private static bool IsPem(string path)
    {
        var extension = Path.GetExtension(path);
        if (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        using var reader = File.OpenText(path);
        var start = new char[64];
        var read = reader.Read(start, 0, start.Length);
        return new string(start, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(EventId = 3220, Level = LogLevel.Information, Message = "Certificate {Path} loaded: {Subject}, valid until {NotAfter:u} (thumbprint {Thumbprint})")]
    private static partial void LogLoaded(ILogger logger, string path, string subject, DateTimeOffset notAfter, string thumbprint);

    [LoggerMessage(EventId = 3221, Level = LogLevel.Warning, Message = "Certificate {Path} changed but does not load ({Reason}); still serving the previous one")]
    private static partial void LogReloadFailed(ILogger logger, string path, string reason);
}
