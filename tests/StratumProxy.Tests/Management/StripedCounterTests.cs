using Prometheus;
using StratumProxy.Management;

namespace StratumProxy.Tests.Management;

public sealed class StripedCounterTests
{
    [Fact]
    public async Task Adds_from_many_threads_all_count_and_reach_the_series_at_the_scrape()
    {
        var registry = Metrics.NewCustomRegistry();
        var metrics = new ProxyMetrics(registry);
        var counter = metrics.BytesFromClientsOf("main");
        const int Threads = 4, AddsPerThread = 20_000;

        var workers = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < AddsPerThread; i++)
                {
                    counter.Add(3);
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Threads * AddsPerThread * 3L, counter.Value);
        Assert.Same(counter, metrics.BytesFromClientsOf("main"));
        Assert.Contains($"stratum_proxy_client_bytes_received_total{{listener=\"main\"}} {Threads * AddsPerThread * 3}\n", await MetricsText.ExportAsync(registry));

        counter.Add(5);
        metrics.BytesToClientsOf("main").Add(1);
        var later = await MetricsText.ExportAsync(registry);
        Assert.Contains($"stratum_proxy_client_bytes_received_total{{listener=\"main\"}} {(Threads * AddsPerThread * 3) + 5}\n", later);
        Assert.Contains("stratum_proxy_client_bytes_sent_total{listener=\"main\"} 1\n", later);
    }
}
