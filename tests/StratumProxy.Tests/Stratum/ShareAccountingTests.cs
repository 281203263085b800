using Microsoft.Extensions.Time.Testing;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.Stratum;
using StratumProxy.Tests.Management;

namespace StratumProxy.Tests.Stratum;

public sealed class ShareAccountingTests
{
    [Fact]
    public void Per_worker_series_stop_at_the_cap_and_the_rest_count_as_other()
    {
        var accounting = new ShareAccounting(
            new ProxyMetrics(Metrics.NewCustomRegistry()),
            new ProxyConfigState(new ProxyOptions()),
            [],
            new HashrateEstimator(new FakeTimeProvider()));

        var labels = Enumerable.Range(0, 50).Select(i => accounting.WorkerLabel($"worker{i}", cap: 10)).ToList();
        Assert.Equal(10, labels.Count(l => l != ShareAccounting.OverflowWorker));
        Assert.Equal(40, labels.Count(l => l == ShareAccounting.OverflowWorker));
        Assert.Equal("worker3", accounting.WorkerLabel("worker3", cap: 10)); // admitted workers keep their series
    }

    [Fact]
    public async Task Answered_shares_reach_the_exported_counters_and_the_destination_hash_rate()
    {
        var registry = Metrics.NewCustomRegistry();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-24T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var estimator = new HashrateEstimator(time, TimeSpan.FromMinutes(5));
        var accounting = new ShareAccounting(new ProxyMetrics(registry), new ProxyConfigState(new ProxyOptions()), [], estimator);
        var a = Session("node-a", difficulty: 10);
        var b = Session("node-b", difficulty: 30);

        accounting.OnShareAnswered(a, accepted: true);
        accounting.OnShareAnswered(a, accepted: false);
        accounting.OnShareAnswered(b, accepted: true);
        accounting.OnShareAnswered(b, accepted: true);
        var early = await MetricsText.ExportAsync(registry);
        time.Advance(TimeSpan.FromSeconds(2));
        accounting.OnShareAnswered(b, accepted: true);
        var later = await MetricsText.ExportAsync(registry);

        Assert.Contains("stratum_proxy_shares_total{listener=\"main\",cluster=\"pool\",destination=\"node-a\",result=\"accepted\"} 1", early, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_shares_total{listener=\"main\",cluster=\"pool\",destination=\"node-a\",result=\"rejected\"} 1", early, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_shares_total{listener=\"main\",cluster=\"pool\",destination=\"node-b\",result=\"accepted\"} 2", early, StringComparison.Ordinal);
        Assert.Equal((1, 1), (a.SharesAccepted, a.SharesRejected));

        // The gauge is set when scraped: it shows every share up to the scrape.
        Assert.Equal(10 * 4294967296.0 / 300, Gauge(early, "node-a"), 3);
        Assert.Equal(60 * 4294967296.0 / 300, Gauge(early, "node-b"), 3);
        Assert.Equal(90 * 4294967296.0 / 300, Gauge(later, "node-b"), 3);
        Assert.Equal(estimator.Estimate("pool", "node-b"), Gauge(later, "node-b"), 3);
    }

    private static ProxySession Session(string destination, double difficulty) =>
        new("main", "pool", new Microsoft.AspNetCore.Connections.DefaultConnectionContext(), new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 40000), DateTimeOffset.UtcNow, 0)
        {
            Destination = destination,
            Difficulty = difficulty,
        };

    private static double Gauge(string exported, string destination)
    {
        var prefix = $"stratum_proxy_destination_hashrate{{cluster=\"pool\",destination=\"{destination}\"}} ";
        var line = exported.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
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
