using Microsoft.Extensions.Time.Testing;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.Stratum;

namespace StratumProxy.Tests.Stratum;

public sealed class ShareAccountingTests
{
    [Fact]
    public void Per_worker_series_stop_at_the_cap_and_the_rest_count_as_other()
    {
        var accounting = new ShareAccounting(
            new ProxyMetrics(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())),
            new ProxyConfigState(new ProxyOptions()),
            [],
            new HashrateEstimator(new FakeTimeProvider()));

        var labels = Enumerable.Range(0, 50).Select(i => accounting.WorkerLabel($"worker{i}", cap: 10)).ToList();
        Assert.Equal(10, labels.Count(l => l != ShareAccounting.OverflowWorker));
        Assert.Equal(40, labels.Count(l => l == ShareAccounting.OverflowWorker));
        Assert.Equal("worker3", accounting.WorkerLabel("worker3", cap: 10)); // admitted workers keep their series
    }

    [Fact]
    public void Hashrate_is_accepted_difficulty_times_two_to_the_32_over_the_window()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var estimator = new HashrateEstimator(time, TimeSpan.FromMinutes(5));
        for (var i = 0; i < 30; i++)
        {
            estimator.Record("pool", "a", 10);
            time.Advance(TimeSpan.FromSeconds(10));
        }

        // 300 difficulty-1 units × 2^32 hashes in the last 5 minutes (less the bucket that rolled out).
        var expected = 300 * 4294967296.0 / 300;
        Assert.InRange(estimator.Estimate("pool", "a"), expected * 0.85, expected * 1.01);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, estimator.Estimate("pool", "a"));
    }
}
