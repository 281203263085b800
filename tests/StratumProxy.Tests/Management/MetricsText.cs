using Prometheus;

namespace StratumProxy.Tests.Management;

/// <summary>What a scrape of a registry returns, as text.</summary>
internal static class MetricsText
{
    public static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
