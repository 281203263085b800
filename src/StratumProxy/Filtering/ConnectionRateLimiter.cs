using System.Net;
using System.Threading.RateLimiting;

namespace StratumProxy.Filtering;

/// <summary>
/// New connections per client address per minute, as a sliding window of six ten-second segments. One limiter per
/// (address, limit); the partitioned limiter replenishes them from one shared timer and drops those idle for a while,
/// so memory follows the addresses seen in the last minute or so.
/// </summary>
public sealed class ConnectionRateLimiter : IDisposable
{
    private const int SegmentsPerWindow = 6;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<RateKey> _limiter = PartitionedRateLimiter.Create<RateKey, RateKey>(
        key => RateLimitPartition.GetSlidingWindowLimiter(key, static k => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = k.PerMinute,
            Window = Window,
            SegmentsPerWindow = SegmentsPerWindow,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>True when <paramref name="address"/> may open another connection; 0 per minute means unlimited.</summary>
    public bool TryAcquire(IPAddress address, int perMinute)
    {
        if (perMinute <= 0)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(new RateKey(ClientAddress.Normalize(address), perMinute));
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();

    private readonly record struct RateKey(IPAddress Address, int PerMinute);
}
