using StratumProxy.Acme;
using StratumProxy.Acme.Challenges;
using StratumProxy.Configuration;
using StratumProxy.Management;

namespace StratumProxy.Tls;

/// <summary>
/// Turns a listener's <c>Tls</c> section into the <see cref="TlsConnectionOptions"/> its pipeline needs: certificate
/// slots per host (shared between listeners naming the same host), file watching, self-signed generation, and
/// registration of ACME hosts with the renewal service. Reports every slot it made to the status API.
/// </summary>
public sealed class TlsListenerFactory : ICertificateStatusSource, IDisposable
{
    private readonly TlsMetrics _metrics;
    private readonly SelfSignedCertificateStore _selfSigned;
    private readonly AcmeRenewalService? _acme;
    private readonly TlsAlpnChallengeStore _alpnChallenges;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, CertificateSlot> _sharedSlots = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IDisposable> _owned = [];
    private readonly List<ServedSlot> _served = [];

    public TlsListenerFactory(TlsMetrics metrics, SelfSignedCertificateStore selfSigned, AcmeRenewalService? acme, TlsAlpnChallengeStore alpnChallenges, ILoggerFactory loggers, TimeProvider time)
    {
        _metrics = metrics;
        _selfSigned = selfSigned;
        _acme = acme;
        _alpnChallenges = alpnChallenges;
        _loggers = loggers;
        _time = time;
    }

    /// <summary>How often <c>File</c> certificates are checked for changes.</summary>
    public TimeSpan FilePollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Builds the listener's certificates; throws <see cref="ArgumentException"/> naming the key on a bad section.</summary>
    public TlsConnectionOptions Create(string listenerName, TlsListenerOptions tls, TimeSpan handshakeTimeout)
    {
        var key = $"{ProxyOptions.SectionName}:Listeners:{listenerName}:Tls";
        var protocols = TlsConnectionOptions.ParseProtocols(tls.Protocols);
        var hosts = tls.Hosts.Select(h => h.Trim()).Where(h => h.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var slots = new List<CertificateSlot>();
        switch (tls.Certificate)
        {
            case CertificateSource.SelfSigned:
                foreach (var host in hosts.DefaultIfEmpty("localhost"))
                {
                    var slot = SharedSlot("self-signed", host);
                    slot.Install(_selfSigned.GetOrCreate(host));
                    slots.Add(slot);
                }

                break;
            case CertificateSource.File:
                if (string.IsNullOrWhiteSpace(tls.CertificatePath))
                {
                    throw new ArgumentException($"{key}:CertificatePath is required with \"Certificate\": \"File\".");
                }

                if (!File.Exists(tls.CertificatePath))
                {
                    throw new ArgumentException($"{key}:CertificatePath: file '{tls.CertificatePath}' not found.");
                }

                if (tls.KeyPath is { Length: > 0 } keyPath && !File.Exists(keyPath))
                {
                    throw new ArgumentException($"{key}:KeyPath: file '{keyPath}' not found.");
                }

                slots.AddRange(hosts.DefaultIfEmpty(listenerName).Select(h => new CertificateSlot(h, _metrics)));
                var source = new FileCertificateSource(tls.CertificatePath, tls.KeyPath, tls.Password, slots, _loggers.CreateLogger<FileCertificateSource>(), _time, FilePollInterval);
                lock (_lock)
                {
                    _owned.Add(source);
                }

                break;
            case CertificateSource.Acme:
                if (_acme is null)
                {
                    throw new ArgumentException($"{key}:Certificate is Acme but the {ProxyOptions.SectionName}:Acme section is missing.");
                }

                if (hosts.Count == 0)
                {
                    throw new ArgumentException($"{key}:Hosts must name at least one DNS name with \"Certificate\": \"Acme\".");
                }

                foreach (var host in hosts)
                {
                    var slot = SharedSlot("acme", host);
                    _acme.Register(slot);
                    slots.Add(slot);
                }

                break;
            default:
                throw new ArgumentException($"{key}:Certificate '{tls.Certificate}' is not Acme, File or SelfSigned.");
        }

        lock (_lock)
        {
            foreach (var slot in slots)
            {
                var served = _served.Find(s => ReferenceEquals(s.Slot, slot));
                if (served is null)
                {
                    _served.Add(new ServedSlot(slot, tls.Certificate, [listenerName]));
                }
                else if (!served.Listeners.Contains(listenerName))
                {
                    served.Listeners.Add(listenerName);
                }
            }
        }

        return new TlsConnectionOptions
        {
            ListenerName = listenerName,
            Certificates = new ServerCertificateSelector(slots),
            Metrics = _metrics,
            EnabledProtocols = protocols,
            HandshakeTimeout = handshakeTimeout,
            AcmeChallenges = tls.Certificate == CertificateSource.Acme ? _alpnChallenges : null,
            LoggerFactory = _loggers,
        };
    }

    public IReadOnlyList<CertificateStatus> GetCertificates()
    {
        List<ServedSlot> served;
        lock (_lock)
        {
            served = [.. _served.Select(s => s with { Listeners = [.. s.Listeners] })];
        }

        return [.. served.Select(Describe).OrderBy(c => c.Host, StringComparer.OrdinalIgnoreCase)];
    }

    private CertificateStatus Describe(ServedSlot served)
    {
        var current = served.Slot.Current;
        var renewal = served.Configured == CertificateSource.Acme ? _acme?.Describe(served.Slot.Host) : null;
        return new CertificateStatus(
            served.Slot.Host,
            served.Listeners,
            served.Configured switch
            {
                CertificateSource.Acme => "acme",
                CertificateSource.File => "file",
                _ => "self-signed",
            },
            current?.Source,
            current?.Leaf.Subject,
            current?.Leaf.Issuer,
            current?.NotBefore,
            current?.NotAfter,
            current?.Thumbprint,
            renewal?.NextOrderAt,
            renewal?.Failures ?? 0,
            renewal?.LastError);
    }

    private CertificateSlot SharedSlot(string source, string host)
    {
        lock (_lock)
        {
            var key = source + "/" + host;
            if (!_sharedSlots.TryGetValue(key, out var slot))
            {
                slot = new CertificateSlot(host, _metrics);
                _sharedSlots[key] = slot;
            }

            return slot;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var owned in _owned)
            {
                owned.Dispose();
            }

            _owned.Clear();
        }
    }

    private sealed record ServedSlot(CertificateSlot Slot, CertificateSource Configured, List<string> Listeners);
}
