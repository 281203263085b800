namespace StratumProxy.Tls;

/// <summary>
/// A TLS listener's hosts and their certificates: SNI picks the host (exact name, then a <c>*.</c> wildcard
/// host); no SNI, or an unknown name, gets the first host's certificate.
/// </summary>
public sealed class ServerCertificateSelector
{
    private readonly CertificateSlot[] _slots;
    private readonly Dictionary<string, CertificateSlot> _byHost;

    public ServerCertificateSelector(IReadOnlyList<CertificateSlot> slots)
    {
        if (slots.Count == 0)
        {
            throw new ArgumentException("A TLS listener needs at least one certificate.", nameof(slots));
        }

        _slots = [.. slots];
        _byHost = new Dictionary<string, CertificateSlot>(StringComparer.OrdinalIgnoreCase);
        foreach (var slot in slots)
        {
            _byHost.TryAdd(slot.Host, slot);
        }
    }

    public IReadOnlyList<CertificateSlot> Slots => _slots;

    public CertificateSlot SelectSlot(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return _slots[0];
        }

        if (_byHost.TryGetValue(serverName, out var slot))
        {
            return slot;
        }

        var dot = serverName.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && _byHost.TryGetValue("*" + serverName[dot..], out var wildcard))
        {
            return wildcard;
        }

        return _slots[0];
    }

    /// <summary>The certificate for the name, falling back to the first host with a certificate installed.</summary>
    public ServerCertificate? Select(string? serverName) =>
        SelectSlot(serverName).Current ?? _slots.Select(s => s.Current).FirstOrDefault(c => c is not null);
}
