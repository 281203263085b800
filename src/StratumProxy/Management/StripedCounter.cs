using Prometheus;
using Stratum.Transport.EventLoop;

namespace StratumProxy.Management;

/// <summary>
/// A count the event loops add to on every line, each loop in a cache line of its own, published to its Prometheus
/// series when the registry is collected. A counter child the loops all incremented would bounce its cache line
/// between the cores on every line; this one is written by one core per cell and read only at a scrape.
/// </summary>
public sealed class StripedCounter
{
    // Eight longs are a 64-byte cache line. Line 0 is padding, line 1 the cell of every thread that is not a loop
    // (added to atomically), line n + 2 loop n's.
    private const int Stride = 8;
    private readonly long[] _cells = new long[(EventLoopThread.MaxLoops + 2) * Stride];
    private readonly Counter.Child _series;

    internal StripedCounter(Counter.Child series) => _series = series;

    public void Add(long count)
    {
        var cell = (EventLoopThread.Number + 2) * Stride;
        if (cell == Stride)
        {
            Interlocked.Add(ref _cells[cell], count);
        }
        else
        {
            // Only this loop's thread writes its cell; a scrape may read it meanwhile, and a 64-bit read is whole.
            _cells[cell] += count;
        }
    }

    /// <summary>The sum of all cells.</summary>
    public long Value
    {
        get
        {
            long sum = 0;
            for (var cell = Stride; cell < _cells.Length; cell += Stride)
            {
                sum += Volatile.Read(ref _cells[cell]);
            }

            return sum;
        }
    }

    /// <summary>Brings the Prometheus series up to <see cref="Value"/>.</summary>
    internal void Publish() => _series.IncTo(Value);
}
