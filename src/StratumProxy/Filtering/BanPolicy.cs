using System.Collections.Concurrent;
using System.Net;
using StratumProxy.Configuration;

namespace StratumProxy.Filtering;

/// <summary>
/// NOMP's banning applied at the edge, per client address: valid and invalid shares are counted and, once an address
/// has sent <see cref="BanningOptions.CheckThreshold"/> shares, it is banned for <see cref="BanningOptions.BanTime"/>
/// if more than <see cref="BanningOptions.InvalidPercent"/> of them were rejected, otherwise its counts start over.
/// Separately, <see cref="BanningOptions.MalformedLinesBeforeBan"/> malformed lines get an address banned.
/// Counters of addresses that have gone quiet are evicted so memory stays bounded.
/// </summary>
public sealed partial class BanPolicy
{
    /// <summary>Most addresses whose counts are kept at once.</summary>
    public const int DefaultMaxTrackedAddresses = 100_000;

    /// <summary>Counts of an address that sent nothing for this long are forgotten.</summary>
    public static readonly TimeSpan DefaultIdleLifetime = TimeSpan.FromHours(1);

    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<IPAddress, AddressCounters> _counters = new();
    private readonly Func<BanningOptions> _options;
    private readonly IBanStore _store;
    private readonly FilterMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<BanPolicy> _logger;
    private readonly int _maxTrackedAddresses;
    private readonly TimeSpan _idleLifetime;
    private readonly Lock _sweepLock = new();
    private long _nextSweepTicks;

    public BanPolicy(
        Func<BanningOptions> options,
        IBanStore store,
        FilterMetrics metrics,
        TimeProvider time,
        ILogger<BanPolicy> logger,
        int maxTrackedAddresses = DefaultMaxTrackedAddresses,
        TimeSpan? idleLifetime = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedAddresses, 1);
        _options = options;
        _store = store;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _maxTrackedAddresses = maxTrackedAddresses;
        _idleLifetime = idleLifetime ?? DefaultIdleLifetime;
        _nextSweepTicks = time.GetUtcNow().UtcTicks + SweepInterval.Ticks;
        _metrics.BannedAddresses.Set(store.List().Count);
    }

    /// <summary>Addresses whose share or malformed-line counts are currently kept.</summary>
    public int TrackedAddresses => _counters.Count;

    /// <summary>True when banning is enabled and <paramref name="address"/> is banned; <paramref name="expiresAt"/> is when the ban ends.</summary>
    public bool IsBanned(IPAddress address, out DateTimeOffset expiresAt)
    {
        SweepIfDue();
        if (_options().Enabled && _store.TryGet(address, out var ban))
        {
            expiresAt = ban.ExpiresAt;
            return true;
        }

        expiresAt = default;
        return false;
    }

    /// <summary>Counts a share the pool answered; true when this share got the address banned (close its session).</summary>
    public bool RecordShare(IPAddress address, bool accepted)
    {
        var options = _options();
        if (!options.Enabled || options.CheckThreshold <= 0)
        {
            return false;
        }

        address = ClientAddress.Normalize(address);
        var counters = Track(address);
        bool ban;
        int valid, invalid;
        lock (counters)
        {
            if (accepted)
            {
                counters.Valid++;
            }
            else
            {
                counters.Invalid++;
            }

            valid = counters.Valid;
            invalid = counters.Invalid;
            var total = valid + invalid;
            if (total < options.CheckThreshold)
            {
                return false;
            }

            ban = invalid * 100.0 / total > options.InvalidPercent;
            counters.Valid = 0;
            counters.Invalid = 0;
        }

        if (!ban)
        {
            return false;
        }

        var entry = Ban(address, BanReasons.InvalidShares, options.BanTime);
        LogBannedForInvalidShares(address, invalid, valid + invalid, entry.ExpiresAt);
        return true;
    }

    /// <summary>Counts a malformed line (not JSON, too long); true when this line got the address banned.</summary>
    public bool RecordMalformedLine(IPAddress address)
    {
        var options = _options();
        if (!options.Enabled || options.MalformedLinesBeforeBan <= 0)
        {
            return false;
        }

        address = ClientAddress.Normalize(address);
        var counters = Track(address);
        int malformed;
        lock (counters)
        {
            malformed = ++counters.Malformed;
            if (malformed < options.MalformedLinesBeforeBan)
            {
                return false;
            }

            counters.Malformed = 0;
        }

        var entry = Ban(address, BanReasons.MalformedLines, options.BanTime);
        LogBannedForMalformedLines(address, malformed, entry.ExpiresAt);
        return true;
    }

    /// <summary>Bans <paramref name="address"/> for <paramref name="duration"/> (e.g. on an operator's request).</summary>
    public BanEntry Ban(IPAddress address, string reason, TimeSpan duration)
    {
        address = ClientAddress.Normalize(address);
        var now = _time.GetUtcNow();
        var entry = new BanEntry(address, reason, now, now + duration);
        _store.Add(entry);
        _counters.TryRemove(address, out _);
        _metrics.Bans.WithLabels([reason]).Inc();
        _metrics.BannedAddresses.Set(_store.List().Count);
        return entry;
    }

    /// <summary>Lifts the ban on <paramref name="address"/> and forgets its counts; false when it was not banned.</summary>
    public bool Lift(IPAddress address)
    {
        address = ClientAddress.Normalize(address);
        _counters.TryRemove(address, out _);
        var lifted = _store.Remove(address);
        _metrics.BannedAddresses.Set(_store.List().Count);
        if (lifted)
        {
            LogLifted(address);
        }

        return lifted;
    }

    /// <summary>Bans in force, soonest to expire first.</summary>
    public IReadOnlyList<BanEntry> List() => _store.List();

    private AddressCounters Track(IPAddress address)
    {
        SweepIfDue();
        var now = _time.GetUtcNow().UtcTicks;
        var counters = _counters.GetOrAdd(address, static _ => new AddressCounters());
        Volatile.Write(ref counters.LastSeenTicks, now);
        if (_counters.Count > _maxTrackedAddresses)
        {
            Sweep(now);
        }

        return counters;
    }

    private void SweepIfDue()
    {
        var now = _time.GetUtcNow().UtcTicks;
        if (now >= Volatile.Read(ref _nextSweepTicks))
        {
            Sweep(now);
        }
    }

    private void Sweep(long now)
    {
        if (!_sweepLock.TryEnter())
        {
            return;
        }

        try
        {
            Volatile.Write(ref _nextSweepTicks, now + SweepInterval.Ticks);
            var idleBefore = now - _idleLifetime.Ticks;
            foreach (var (address, counters) in _counters)
            {
                if (Volatile.Read(ref counters.LastSeenTicks) < idleBefore)
                {
                    _counters.TryRemove(new KeyValuePair<IPAddress, AddressCounters>(address, counters));
                }
            }

            var excess = _counters.Count - _maxTrackedAddresses;
            if (excess > 0)
            {
                // Over the cap with everyone active: forget the quietest tenth so a flood of new addresses cannot
                // grow memory, at the cost of their partial counts.
                var evict = Math.Max(excess, _maxTrackedAddresses / 10);
                foreach (var (address, counters) in _counters.OrderBy(p => Volatile.Read(ref p.Value.LastSeenTicks)).Take(evict).ToList())
                {
                    _counters.TryRemove(new KeyValuePair<IPAddress, AddressCounters>(address, counters));
                }
            }

            _metrics.BannedAddresses.Set(_store.List().Count);
        }
        finally
        {
            _sweepLock.Exit();
        }
    }

    private sealed class AddressCounters
    {
        public int Valid;
        public int Invalid;
        public int Malformed;
        public long LastSeenTicks;
    }
}
