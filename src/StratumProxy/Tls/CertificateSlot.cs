namespace StratumProxy.Tls;

/// <summary>
/// The certificate currently served for one host. Providers swap it atomically; a handshake reads it once, so
/// new handshakes get the new certificate and established sessions keep theirs.
/// </summary>
public sealed class CertificateSlot(string host, TlsMetrics metrics)
{
    private ServerCertificate? _current;

    public string Host { get; } = host;

    public ServerCertificate? Current => Volatile.Read(ref _current);

    /// <summary>Raised after a swap; tests and logs use it.</summary>
    public event Action<CertificateSlot, ServerCertificate>? Installed;

    public void Install(ServerCertificate certificate)
    {
        Volatile.Write(ref _current, certificate);
        metrics.SetExpiry(Host, certificate.NotAfter);
        Installed?.Invoke(this, certificate);
    }
}
