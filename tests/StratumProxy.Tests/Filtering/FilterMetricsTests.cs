using Prometheus;
using StratumProxy.Filtering;
using StratumProxy.Management;
using StratumProxy.Tests.Management;

namespace StratumProxy.Tests.Filtering;

public sealed class FilterMetricsTests
{
    [Fact]
    public async Task Filters_and_the_proxy_core_count_rejections_in_one_series_family()
    {
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        var core = new ProxyMetrics(registry);
        var filters = new FilterMetrics(factory);

        filters.Rejected("btc", RejectionReasons.Geo);
        core.RejectedConnections.WithLabels("btc", RejectReasons.InvalidJson).Inc();

        Assert.Equal(1, core.RejectedConnections.WithLabels("btc", RejectReasons.Geo).Value);
        var text = await MetricsText.ExportAsync(registry);
        Assert.Contains("stratum_proxy_rejected_connections_total{listener=\"btc\",reason=\"geo\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_rejected_connections_total{listener=\"btc\",reason=\"invalid_json\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("stratum_proxy_banned_addresses 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Filter_reasons_match_the_core_label_values()
    {
        Assert.Equal(RejectReasons.Banned, RejectionReasons.Banned);
        Assert.Equal(RejectReasons.Geo, RejectionReasons.Geo);
        Assert.Equal(RejectReasons.IpLimit, RejectionReasons.IpLimit);
        Assert.Equal(RejectReasons.MaxConnections, RejectionReasons.MaxConnections);
        Assert.Equal(RejectReasons.RateLimit, RejectionReasons.RateLimit);
    }
}
