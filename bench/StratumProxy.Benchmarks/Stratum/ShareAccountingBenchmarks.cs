using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Connections;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.Stratum;

namespace StratumProxy.Benchmarks.Stratum;

/// <summary>
/// What the proxy does for every answered <c>mining.submit</c>: the session's counters, the share and per-worker
/// series, the destination's hash-rate estimate and the share observers. Target: 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class ShareAccountingBenchmarks
{
    private ShareAccounting _shares = null!;
    private ProxySession _session = null!;

    [GlobalSetup]
    public void Setup()
    {
        var metrics = new ProxyMetrics(Metrics.NewCustomRegistry());
        var config = new ProxyConfigState(new ProxyOptions { Metrics = new MetricsOptions { PerWorker = true } });
        _shares = new ShareAccounting(metrics, config, [], new HashrateEstimator(TimeProvider.System));
        _session = new ProxySession("main", "pool", new DefaultConnectionContext(), new IPEndPoint(IPAddress.Loopback, 40000), DateTimeOffset.UtcNow, 0)
        {
            Destination = "node-1",
            Worker = "bc1qexample.rig1",
            Difficulty = 65536,
        };
    }

    [Benchmark(Description = "accepted share")]
    public void Accepted() => _shares.OnShareAnswered(_session, accepted: true);

    [Benchmark(Description = "rejected share")]
    public void Rejected() => _shares.OnShareAnswered(_session, accepted: false);
}
