using System.Net;
using System.Threading.RateLimiting;

namespace StratumProxy.Filtering;

/// <summary>
/// New connections per client address per minute, as a sliding window of six ten-second segments. One limiter per
/// (address, limit); the partitioned limiter replenishes them from one shared timer and drops those idle for a while,
/// so memory follows the addresses seen in the last minute or so.
/// </summary>
/// <remarks>
/// The partitioned limiter's timer ticks ten times a second from its creation, waking a thread-pool thread each
/// time, so it is created on the first connection that has a limit: a proxy configured without one never runs it.
/// </remarks>
public sealed class ConnectionRateLimiter : IDisposable
{
    private const int SegmentsPerWindow = 6;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _creating = new();
    private PartitionedRateLimiter<RateKey>? _limiter;
    private bool _disposed;

    /// <summary>Whether a connection with a limit has been seen, so the limiter (and its timer) runs.</summary>
    internal bool IsRunning => Volatile.Read(ref _limiter) is not null;

    /// <summary>True when <paramref name="address"/> may open another connection; 0 per minute means unlimited.</summary>
    public bool TryAcquire(IPAddress address, int perMinute)
    {
        if (perMinute <= 0)
        {
            return true;
        }

        using var lease = Limiter().AttemptAcquire(new RateKey(ClientAddress.Normalize(address), perMinute));
        return lease.IsAcquired;
    }

    public void Dispose()
    {
        lock (_creating)
        {
            _disposed = true;
            _limiter?.Dispose();
        }
    }

    private PartitionedRateLimiter<RateKey> Limiter()
    {
        if (Volatile.Read(ref _limiter) is { } limiter)
        {
            return limiter;
        }

        lock (_creating)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _limiter ??= PartitionedRateLimiter.Create<RateKey, RateKey>(
                key => RateLimitPartition.GetSlidingWindowLimiter(key, static k => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = k.PerMinute,
                    Window = Window,
                    SegmentsPerWindow = SegmentsPerWindow,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            return _limiter;
        }
    }

    private readonly record struct RateKey(IPAddress Address, int PerMinute);
}
