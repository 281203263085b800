using System.Net;
using StratumProxy.Filtering;

namespace StratumProxy.Tests.Filtering;

public sealed class ConnectionLimitTests
{
    private static readonly IPAddress A = IPAddress.Parse("203.0.113.1");
    private static readonly IPAddress B = IPAddress.Parse("203.0.113.2");

    [Fact]
    public void Per_address_limit_counts_each_address_apart()
    {
        var counter = new InMemoryConnectionCounter();

        Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(A, maxPerAddress: 2, maxTotal: 0));
        Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(A.MapToIPv6(), maxPerAddress: 2, maxTotal: 0));
        Assert.Equal(ConnectionAdmission.IpLimit, counter.TryAcquire(A, maxPerAddress: 2, maxTotal: 0));
        Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(B, maxPerAddress: 2, maxTotal: 0));
        Assert.Equal(2, counter.CountFor(A));
        Assert.Equal(3, counter.Total);

        counter.Release(A);
        Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(A, maxPerAddress: 2, maxTotal: 0));
    }

    [Fact]
    public void Total_limit_applies_over_all_addresses_and_zero_is_unlimited()
    {
        var counter = new InMemoryConnectionCounter();
        Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(A, 0, maxTotal: 2));
        Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(B, 0, maxTotal: 2));
        Assert.Equal(ConnectionAdmission.MaxConnections, counter.TryAcquire(IPAddress.Parse("203.0.113.3"), 0, maxTotal: 2));

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(ConnectionAdmission.Admitted, counter.TryAcquire(A, 0, 0));
        }
    }

    [Fact]
    public void Entries_disappear_when_an_address_has_no_connection_left()
    {
        var counter = new InMemoryConnectionCounter();
        counter.TryAcquire(A, 0, 0);
        counter.Release(A);

        Assert.Equal(0, counter.CountFor(A));
        Assert.Equal(0, counter.Total);
        Assert.Throws<InvalidOperationException>(() => counter.Release(A));
    }

    [Fact]
    public async Task Concurrent_acquires_never_exceed_the_limit()
    {
        var counter = new InMemoryConnectionCounter();
        var admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                if (counter.TryAcquire(A, maxPerAddress: 10, maxTotal: 0) == ConnectionAdmission.Admitted)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));

        Assert.Equal(10, admitted);
        Assert.Equal(10, counter.CountFor(A));
    }

    [Fact]
    public void Rate_limiter_admits_the_configured_number_a_minute_per_address()
    {
        using var limiter = new ConnectionRateLimiter();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(limiter.TryAcquire(A, perMinute: 5), $"connection {i + 1} of 5");
        }

        Assert.False(limiter.TryAcquire(A, perMinute: 5));
        Assert.False(limiter.TryAcquire(A.MapToIPv6(), perMinute: 5));
        Assert.True(limiter.TryAcquire(B, perMinute: 5), "another address has its own budget");
    }

    [Fact]
    public void Rate_limiter_with_zero_is_unlimited()
    {
        using var limiter = new ConnectionRateLimiter();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(A, perMinute: 0));
        }
    }

    [Fact]
    public void Rate_limiter_runs_its_timer_only_once_a_connection_has_a_limit()
    {
        using var limiter = new ConnectionRateLimiter();
        Assert.True(limiter.TryAcquire(A, perMinute: 0));
        Assert.False(limiter.IsRunning);

        Assert.True(limiter.TryAcquire(A, perMinute: 1));
        Assert.True(limiter.IsRunning);
        Assert.False(limiter.TryAcquire(A, perMinute: 1));
    }

    [Fact]
    public void Rate_limiter_refuses_to_start_after_disposal()
    {
        var limiter = new ConnectionRateLimiter();
        limiter.Dispose();
        Assert.True(limiter.TryAcquire(A, perMinute: 0));
        Assert.Throws<ObjectDisposedException>(() => limiter.TryAcquire(A, perMinute: 1));
        Assert.False(limiter.IsRunning);
    }
}
