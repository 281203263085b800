using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace StratumProxy.Benchmarks.JsonRpc;

/// <summary>
/// JSON inspection of one forwarded line with <see cref="System.Text.Json.Utf8JsonReader"/>: which method, which id,
/// and for a submit the worker name. Target: 0 B allocated per line.
/// </summary>
/// <remarks>
/// <see cref="ReaderInspection"/> is the reference the proxy's own inspector is measured against. When the Stratum
/// awareness inspector lands in <c>src/StratumProxy/Stratum/</c>, add one <c>[Benchmark]</c> per line kind here that calls it
/// on the same bytes, so both rows appear in one table.
/// </remarks>
[MemoryDiagnoser]
public class LineInspectionBenchmarks
{
    private byte[] _submit = [];
    private byte[] _notify = [];
    private ReadOnlySequence<byte> _submitSplit;

    [GlobalSetup]
    public void Setup()
    {
        _submit = Encoding.ASCII.GetBytes(SampleLines.Submit);
        _notify = Encoding.ASCII.GetBytes(SampleLines.Notify);
        _submitSplit = BufferSegment.Split(_submit, 61);
    }

    [Benchmark(Description = "submit: method, id, worker")]
    public LineSummary Submit() => ReaderInspection.Inspect(new ReadOnlySequence<byte>(_submit));

    [Benchmark(Description = "submit split in 61-byte segments")]
    public LineSummary SubmitSplit() => ReaderInspection.Inspect(_submitSplit);

    [Benchmark(Description = "notify: method, id")]
    public LineSummary Notify() => ReaderInspection.Inspect(new ReadOnlySequence<byte>(_notify));
}
