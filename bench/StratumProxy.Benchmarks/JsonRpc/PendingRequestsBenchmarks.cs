using BenchmarkDotNet.Attributes;
using StratumProxy.Stratum;

namespace StratumProxy.Benchmarks.JsonRpc;

/// <summary>
/// The per-session bookkeeping a submit round trip costs the proxy: remember the request (id 4, as miners send every
/// share), match the pool's answer to the oldest pending one. Target: 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class PendingRequestsBenchmarks
{
    private readonly PendingRequests _pending = new();

    [Benchmark(Description = "track + match one submit")]
    public StratumMethod TrackAndMatch()
    {
        _pending.Add(4, StratumMethod.Submit);
        return _pending.Match(4);
    }

    [Benchmark(Description = "track + match with 8 shares in flight")]
    public StratumMethod TrackAndMatchBacklog()
    {
        if (_pending.Count == 0)
        {
            for (var i = 0; i < 8; i++)
            {
                _pending.Add(4, StratumMethod.Submit);
            }
        }

        _pending.Add(4, StratumMethod.Submit);
        return _pending.Match(4);
    }
}
