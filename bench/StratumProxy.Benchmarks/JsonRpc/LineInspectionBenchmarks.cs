using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using StratumProxy.Stratum;

namespace StratumProxy.Benchmarks.JsonRpc;

/// <summary>
/// JSON inspection of one forwarded line: which method, which id, and for a submit the worker name. Target: 0 B
/// allocated per line.
/// </summary>
/// <remarks>
/// <see cref="ReaderInspection"/> is a minimal <see cref="System.Text.Json.Utf8JsonReader"/> reference pass (method,
/// id, worker); the <c>Proxy*</c> rows run the proxy's own <see cref="StratumMessageInspector"/> on the same bytes,
/// which also validates the whole line and reads result and error, so both appear in one table. A line in one segment
/// goes to the proxy's scanner, a split one to its reader pass; the <c>ProxyReader*</c> rows run that reader pass on
/// one segment, as every line went before the scanner.
/// </remarks>
[MemoryDiagnoser]
public class LineInspectionBenchmarks
{
    private byte[] _submit = [];
    private byte[] _notify = [];
    private byte[] _response = [];
    private ReadOnlySequence<byte> _submitSplit;
    private ReadOnlySequence<byte> _notifySplit;

    [GlobalSetup]
    public void Setup()
    {
        _submit = Encoding.ASCII.GetBytes(SampleLines.Submit);
        _notify = Encoding.ASCII.GetBytes(SampleLines.Notify);
        _response = Encoding.ASCII.GetBytes("{\"id\":4,\"result\":true,\"error\":null}");
        _submitSplit = BufferSegment.Split(_submit, 61);
        _notifySplit = BufferSegment.Split(_notify, 61);
    }

    [Benchmark(Description = "submit: method, id, worker")]
    public LineSummary Submit() => ReaderInspection.Inspect(new ReadOnlySequence<byte>(_submit));

    [Benchmark(Description = "submit split in 61-byte segments")]
    public LineSummary SubmitSplit() => ReaderInspection.Inspect(_submitSplit);

    [Benchmark(Description = "notify: method, id")]
    public LineSummary Notify() => ReaderInspection.Inspect(new ReadOnlySequence<byte>(_notify));

    [Benchmark(Description = "proxy inspector: submit")]
    public StratumMessage ProxySubmit() => InspectWithProxy(new ReadOnlySequence<byte>(_submit));

    [Benchmark(Description = "proxy inspector: submit, 61-byte segments")]
    public StratumMessage ProxySubmitSplit() => InspectWithProxy(_submitSplit);

    [Benchmark(Description = "proxy inspector: notify")]
    public StratumMessage ProxyNotify() => InspectWithProxy(new ReadOnlySequence<byte>(_notify));

    [Benchmark(Description = "proxy inspector: notify, 61-byte segments")]
    public StratumMessage ProxyNotifySplit() => InspectWithProxy(_notifySplit);

    [Benchmark(Description = "proxy reader pass, one segment: submit")]
    public StratumMessage ProxyReaderSubmit() => InspectWithReader(new ReadOnlySequence<byte>(_submit));

    [Benchmark(Description = "proxy reader pass, one segment: notify")]
    public StratumMessage ProxyReaderNotify() => InspectWithReader(new ReadOnlySequence<byte>(_notify));

    [Benchmark(Description = "proxy: notify job id (string, as the status API asks for it)")]
    public string? ProxyNotifyJobId() => StratumMessageInspector.ReadParamString(new ReadOnlySequence<byte>(_notify), 0);

    [Benchmark(Description = "proxy pool-line pass: notify (method and job id, as forwarded)")]
    public long ProxyPoolNotify()
    {
        if (!StratumMessageInspector.TryInspectPoolLine(new ReadOnlySequence<byte>(_notify), out _, out var jobId))
        {
            throw new InvalidOperationException("sample notify rejected by the pool-line pass");
        }

        return jobId.Length;
    }

    [Benchmark(Description = "proxy pool-line reader pass, one segment: notify")]
    public long ProxyPoolReaderNotify()
    {
        if (!StratumMessageInspector.TryInspectPoolLineWithReader(new ReadOnlySequence<byte>(_notify), out _, out var jobId))
        {
            throw new InvalidOperationException("sample notify rejected by the pool-line reader pass");
        }

        return jobId.Length;
    }

    [Benchmark(Description = "proxy pool-line pass: share accepted")]
    public StratumMessage ProxyPoolResponse()
    {
        if (!StratumMessageInspector.TryInspectPoolLine(new ReadOnlySequence<byte>(_response), out var message, out _))
        {
            throw new InvalidOperationException("sample response rejected by the pool-line pass");
        }

        return message;
    }

    private static StratumMessage InspectWithProxy(in ReadOnlySequence<byte> line)
    {
        if (!StratumMessageInspector.TryInspect(line, out var message))
        {
            throw new InvalidOperationException("sample line rejected by the proxy's inspector");
        }

        return message;
    }

    private static StratumMessage InspectWithReader(in ReadOnlySequence<byte> line)
    {
        if (!StratumMessageInspector.TryInspectWithReader(line, out var message))
        {
            throw new InvalidOperationException("sample line rejected by the proxy's reader pass");
        }

        return message;
    }
}
