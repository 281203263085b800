using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Stratum.Protocol.Framing;

namespace StratumProxy.Benchmarks.Framing;

/// <summary>
/// <see cref="StratumLineReader"/>'s <c>TryReadLine</c> over what a forwarder sees: a read holding several submit lines
/// in one segment or in one span (the relay's receive buffer), and the same bytes split across pipe segments (a line
/// straddling two reads). Target: 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class LineFramingBenchmarks
{
    private const int MaxLineBytes = 64 * 1024;
    private const int LinesPerBuffer = 16;

    private ReadOnlySequence<byte> _singleSegment;
    private ReadOnlySequence<byte> _multiSegment;
    private ReadOnlySequence<byte> _notifySingleSegment;

    [GlobalSetup]
    public void Setup()
    {
        var submits = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(SampleLines.Submit + "\n", LinesPerBuffer)));
        _singleSegment = new ReadOnlySequence<byte>(submits);
        _multiSegment = BufferSegment.Split(submits, 61);
        _notifySingleSegment = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(SampleLines.Notify + "\n"));
    }

    [Benchmark(OperationsPerInvoke = LinesPerBuffer, Description = "submit lines, one segment")]
    public long SingleSegment() => ReadAll(_singleSegment);

    [Benchmark(OperationsPerInvoke = LinesPerBuffer, Description = "submit lines, one span")]
    public long SingleSpan()
    {
        var buffer = _singleSegment.FirstSpan;
        long total = 0;
        while (StratumLineReader.TryReadLine(ref buffer, MaxLineBytes, out var line) == LineReadStatus.Line)
        {
            total += line.Length;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = LinesPerBuffer, Description = "submit lines, 61-byte segments")]
    public long MultiSegment() => ReadAll(_multiSegment);

    [Benchmark(Description = "600-byte notify, one segment")]
    public long NotifyLine() => ReadAll(_notifySingleSegment);

    private static long ReadAll(ReadOnlySequence<byte> buffer)
    {
        long total = 0;
        while (StratumLineReader.TryReadLine(ref buffer, MaxLineBytes, out var line) == LineReadStatus.Line)
        {
            total += line.Length;
        }

        return total;
    }
}
