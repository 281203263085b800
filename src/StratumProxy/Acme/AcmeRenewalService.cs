using StratumProxy.Configuration;
using StratumProxy.Tls;

namespace StratumProxy.Acme;

/// <summary>Scheduling knobs of the renewal loop; defaults suit production.</summary>
public sealed record AcmeRenewalTuning
{
    /// <summary>How often a still-valid certificate's ARI window is asked for (RFC 9773 suggests about every 6 hours).</summary>
    public TimeSpan RenewalInfoInterval { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Wait after a failed order; doubles per consecutive failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Never renew the same host again sooner than this after a success (guards against a RenewBefore longer than the lifetime).</summary>
    public TimeSpan MinimumRenewalInterval { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>What <see cref="AcmeRenewalService.Describe"/> tells of one host.</summary>
public sealed record AcmeHostRenewal(DateTimeOffset NextOrderAt, int Failures, string? LastError);

/// <summary>
/// Keeps every ACME host's certificate current. A host registered with a valid stored certificate is served from
/// disk without contacting the CA; one without gets the self-signed fallback and an order right away. A certificate
/// is renewed when <c>RenewBefore</c> is reached (not before a third of its lifetime), or earlier when the CA's ARI
/// window says so. The new certificate is swapped into the host's slot: new handshakes get it, open sessions keep theirs.
/// </summary>
public sealed partial class AcmeRenewalService : BackgroundService
{
    private readonly AcmeOptions _options;
    private readonly AcmeCertificateIssuer _issuer;
    private readonly SelfSignedCertificateStore _selfSigned;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AcmeRenewalTuning _tuning;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal AcmeRenewalService(AcmeOptions options, AcmeCertificateIssuer issuer, SelfSignedCertificateStore selfSigned, ILogger<AcmeRenewalService> logger, TimeProvider time, AcmeRenewalTuning? tuning = null)
    {
        _options = options;
        _issuer = issuer;
        _selfSigned = selfSigned;
        _logger = logger;
        _time = time;
        _tuning = tuning ?? new AcmeRenewalTuning();
    }

    /// <summary>Raised after a renewal or first issuance was installed; carries the host.</summary>
    public event Action<string, ServerCertificate>? CertificateIssued;

    /// <summary>Raised when the loop has done all that was due and waits until the given time (tests observe it).</summary>
    internal event Action<DateTimeOffset>? Sleeping;

    /// <summary>Takes charge of a host's slot: installs the stored certificate or the fallback, and schedules orders.</summary>
    public void Register(CertificateSlot slot)
    {
        lock (_lock)
        {
            if (_entries.ContainsKey(slot.Host))
            {
                return;
            }

            var now = _time.GetUtcNow();
            var entry = new Entry(slot);
            ServerCertificate? stored = null;
            try
            {
                stored = _issuer.Store.TryLoad(entry.Hosts);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or InvalidDataException)
            {
                LogStoredUnreadable(_logger, slot.Host, ex.Message);
            }

            if (stored is not null && stored.IsValidAt(now))
            {
                entry.Issued = stored;
                entry.NextRenewalInfo = now + _tuning.RenewalInfoInterval;
                slot.Install(stored);
                LogServingStored(_logger, slot.Host, stored.NotAfter, RenewAt(entry, now));
            }
            else
            {
                slot.Install(_selfSigned.GetOrCreate(slot.Host));
                LogServingFallback(_logger, slot.Host);
            }

            _entries[slot.Host] = entry;
            _wake.TrySetResult();
        }
    }

    /// <summary>The renewal state of a registered host: when its certificate is due, and the failures since the last success.</summary>
    public AcmeHostRenewal? Describe(string host)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(host, out var entry))
            {
                return null;
            }

            var now = _time.GetUtcNow();
            var renewAt = RenewAt(entry, now);
            return new AcmeHostRenewal(entry.NextAttempt > renewAt ? entry.NextAttempt : renewAt, entry.Failures, entry.LastError);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Task wake;
            Entry[] entries;
            lock (_lock)
            {
                if (_wake.Task.IsCompleted)
                {
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wake = _wake.Task;
                entries = [.. _entries.Values];
            }

            foreach (var entry in entries)
            {
                await ServeAsync(entry, stoppingToken);
            }

            var now = _time.GetUtcNow();
            var next = entries.Length == 0 ? now + TimeSpan.FromDays(1) : entries.Min(e => NextWake(e, now));
            var wait = next - now;
            if (wait <= TimeSpan.Zero)
            {
                continue;
            }

            Sleeping?.Invoke(next);

            using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1), _time, delayCancel.Token);
            await Task.WhenAny(delay, wake);
            await delayCancel.CancelAsync();
        }
    }

    private async Task ServeAsync(Entry entry, CancellationToken stoppingToken)
    {
        var now = _time.GetUtcNow();
        if (now >= RenewAt(entry, now) && now >= entry.NextAttempt)
        {
            try
            {
                var issued = await _issuer.IssueAsync(entry.Hosts, stoppingToken);
                now = _time.GetUtcNow();
                entry.Issued = issued;
                entry.Failures = 0;
                entry.LastError = null;
                entry.RenewalInfoAt = null;
                entry.NextRenewalInfo = now + _tuning.RenewalInfoInterval;
                entry.NextAttempt = now + _tuning.MinimumRenewalInterval;
                entry.Slot.Install(issued);
                if (issued.NotAfter - issued.NotBefore <= _options.RenewBefore)
                {
                    LogRenewBeforeTooLong(_logger, entry.Slot.Host, _options.RenewBefore, issued.NotAfter - issued.NotBefore);
                }

                CertificateIssued?.Invoke(entry.Slot.Host, issued);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                entry.Failures++;
                entry.LastError = ex.Message;
                var delay = TimeSpan.FromTicks(Math.Min(_tuning.RetryDelay.Ticks << Math.Min(entry.Failures - 1, 16), _tuning.MaxRetryDelay.Ticks));
                entry.NextAttempt = _time.GetUtcNow() + delay;
                LogRetryScheduled(_logger, entry.Slot.Host, delay, ex.Message);
            }

            return;
        }

        if (entry.Issued is { } current && now >= entry.NextRenewalInfo)
        {
            entry.NextRenewalInfo = now + _tuning.RenewalInfoInterval;
            try
            {
                if (await _issuer.GetRenewalInfoAsync(current.Leaf, stoppingToken) is { } ari)
                {
                    var window = ari.Info.SuggestedWindow;
                    // A uniformly random point in the window spreads a CA's clients (RFC 9773 §4.2).
                    var span = window.End > window.Start ? window.End - window.Start : TimeSpan.Zero;
                    entry.RenewalInfoAt = window.Start + (span * Random.Shared.NextDouble());
                    if (ari.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
                    {
                        entry.NextRenewalInfo = now + retryAfter;
                    }

                    LogRenewalInfo(_logger, entry.Slot.Host, window.Start, window.End);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewalInfoFailed(_logger, entry.Slot.Host, ex.Message);
            }
        }
    }

    /// <summary>When the host's certificate should be replaced: now if it has none (or an expired one).</summary>
    private DateTimeOffset RenewAt(Entry entry, DateTimeOffset now)
    {
        if (entry.Issued is not { } current || !current.IsValidAt(now))
        {
            return now;
        }

        var lifetime = current.NotAfter - current.NotBefore;
        var byPolicy = current.NotAfter - _options.RenewBefore;
        var earliest = current.NotBefore + (lifetime / 3);
        var at = byPolicy > earliest ? byPolicy : earliest;
        return entry.RenewalInfoAt is { } ari && ari < at ? ari : at;
    }

    private DateTimeOffset NextWake(Entry entry, DateTimeOffset now)
    {
        var renewAt = RenewAt(entry, now);
        var order = renewAt > entry.NextAttempt ? renewAt : entry.NextAttempt;
        return entry.Issued is null || order < entry.NextRenewalInfo ? order : entry.NextRenewalInfo;
    }

    private sealed class Entry(CertificateSlot slot)
    {
        public CertificateSlot Slot { get; } = slot;

        public IReadOnlyList<string> Hosts { get; } = [slot.Host];

        public ServerCertificate? Issued { get; set; }

        public DateTimeOffset NextAttempt { get; set; }

        public DateTimeOffset NextRenewalInfo { get; set; }

        public DateTimeOffset? RenewalInfoAt { get; set; }

        public int Failures { get; set; }

        public string? LastError { get; set; }
    }
}
