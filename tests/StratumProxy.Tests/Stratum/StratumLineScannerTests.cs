using System.Buffers;
using System.Diagnostics;
using System.Text;
using StratumProxy.Stratum;
using StratumProxy.Tests.Protocol;
using Xunit.Abstractions;

namespace StratumProxy.Tests.Stratum;

/// <summary>
/// The scanner that reads single-segment lines against the <see cref="System.Text.Json.Utf8JsonReader"/> passes it
/// replaced, which still read lines split across segments: same verdict and same fields for every input, miner lines
/// judged whole and pool lines as far as the pool pass reads them.
/// </summary>
public sealed class StratumLineScannerTests(ITestOutputHelper output)
{
    // Another base seed explores other cases: STRATUM_SCANNER_SEED=<int> dotnet test ...
    private static readonly int BaseSeed = int.TryParse(Environment.GetEnvironmentVariable("STRATUM_SCANNER_SEED"), out var seed) ? seed : 20_260_611;
    private const int MaxCases = 200_000;
    private const int MinCases = 10_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(4);

    /// <summary>Hand-picked edges as raw bytes (each char one byte), with the verdict the reader gives them.</summary>
    public static TheoryData<string, bool> TrickyLines => new()
    {
        { "", false },
        { "   ", false },
        { "{}", true },
        { "{} ", true },
        { " \t\r\n{}\r\n", true },
        { "{}{}", false },
        { "{} x", false },
        { "{}/", false },
        { "{}\u0000", false },
        { "[]", false },
        { "\"s\"", false },
        { "1", false },
        { "null", false },
        { "\u00ef\u00bb\u00bf{}", false }, // UTF-8 byte order mark
        { "\u000b{}", false }, // vertical tab is not JSON whitespace
        { "\u000c{}", false },
        { "\u00c2\u00a0{}", false }, // no-break space
        { "{\"id\":01}", false },
        { "{\"id\":-}", false },
        { "{\"id\":-01}", false },
        { "{\"id\":1.}", false },
        { "{\"id\":1e}", false },
        { "{\"id\":1e+}", false },
        { "{\"id\":.5}", false },
        { "{\"id\":+1}", false },
        { "{\"id\":0x10}", false },
        { "{\"id\":1.5.3}", false },
        { "{\"id\":-0}", true },
        { "{\"id\":0.0e0}", true },
        { "{\"id\":1E+2}", true },
        { "{\"id\":1e-2}", true },
        { "{\"id\":tru}", false },
        { "{\"id\":truex}", false },
        { "{\"id\":nul}", false },
        { "{\"id\":True}", false },
        { "{\"id\":NaN}", false },
        { "{\"id\":\"\\u12\"}", false },
        { "{\"id\":\"\\uZZZZ\"}", false },
        { "{\"id\":\"\\x\"}", false },
        { "{\"id\":\"\\'\"}", false },
        { "{\"id\":\"\\/\"}", true },
        { "{\"id\":\"\\\\\"}", true },
        { "{\"id\":\"\\\"}", false },
        { "{\"id\":\"\t\"}", false }, // raw tab in a string
        { "{\"id\":\"\u0000\"}", false },
        { "{\"id\":\"\u001f\"}", false },
        { "{\"id\":\"\u007f\"}", true },
        { "{\"id\":\"\\u0000\"}", true },
        { "{\"id\":1,}", false },
        { "{,\"id\":1}", false },
        { "{\"id\":1 \"a\":2}", false },
        { "{\"id\" 1}", false },
        { "{\"id\"::1}", false },
        { "{id:1}", false },
        { "{'id':1}", false },
        { "{\"a\":[1,]}", false },
        { "{\"a\":[,1]}", false },
        { "{\"a\":[1 2]}", false },
        { "{\"a\":{\"b\":1,}}", false },
        { "{\"a\":[}}", false },
        { "{\"a\":{]}", false },
        { "{\"a\":1/}", false },
        { "{\"a\":1 /* c */}", false },
        { "{\"a\":1}//", false },
        { "{\"id\":1", false },
        { "{\"id\":\"1}", false },
        { "{\"a\":\"\\ud800\"}", true }, // a lone surrogate where nothing compares it
        { "{\"\\ud800\":1}", false }, // ... in a name, compared with "id"
        { "{\"abcdefgh\\ud800\":1}", true }, // ... in a name whose plain prefix matches no member
        { "{\"par\\ud800\":1}", true }, // ... which the pool pass compares with "params", not this one
        { "{\"id\\udc00\":1}", false },
        { "{\"\\udc00\\udc00\":1}", false }, // two low halves: the first is already wrong
        { "{\"method\":\"mining.submit\\udc00\\udc00\"}", false },
        { "{\"method\":\"\\udc00\"}", true }, // shorter than any method name: never unescaped
        { "{\"method\":\"mining.submit\\udc00\"}", false },
        { "{\"error\":{\"\\ud800\":1}}", false },
        { "{\"\\ud83d\\ude00\":1}", true },
        { "{\"a\":\"\u00c0\u00af\"}", true }, // overlong UTF-8: strings are not checked for UTF-8
        { "{\"a\":\"\u00ed\u00a0\u0080\"}", true }, // a surrogate in UTF-8
        { "{\"a\":\"\u00e2\u0082\"}", true }, // truncated sequence
        { "{\"\u00ff\":1}", true },
        { "{\"method\":\"\u00ff\"}", true },
        { "{\"a\":1\u00ff}", false }, // outside a string it is just a wrong byte
        { "{\"a\":" + Nested(15) + "}", true }, // 16 deep with the line's own object
        { "{\"a\":" + Nested(16) + "}", false },
        { "{\"error\":[" + Nested(14) + "]}", true },
        { "{\"error\":[" + Nested(15) + "]}", false },
        { "{\"error\":{\"code\":" + Nested(14) + "}}", true },
        { "{\"error\":{\"code\":" + Nested(15) + "}}", false },
        { "{\"id\":" + NestedObjects(15) + "}", true },
        { "{\"id\":" + NestedObjects(16) + "}", false },
        { "{\"params\":" + Nested(5000) + "}", false },
    };

    /// <summary>Pool lines read only as far as they matter, with the reader's verdict and job id (null: none).</summary>
    public static TheoryData<string, bool, string?> TrickyPoolLines => new()
    {
        { "", false, null },
        { "{}", true, null },
        { "{}{}", true, null }, // nothing is read after the object
        { "{\"id\":1}garbage", true, null },
        { "{\"id\":1", false, null },
        { "{\"method\":\"mining.submit\"garbage", true, null }, // an untracked method ends the reading
        { "{\"method\":\"mining.notify\",\"params\":[\"job7\"", true, "job7" }, // so does a tracked one's job id
        { "{\"method\":\"mining.notify\",\"params\":[\"job7\",x", true, "job7" },
        { "{\"method\":\"mining.notify\",\"params\":[\"job7", false, null },
        { "{\"method\":\"mining.notify\",\"params\":[\"j\\u006fb7\"]}", true, null },
        { "{\"method\":\"mining.notify\",\"params\":[\"\"]}", true, null },
        { "{\"method\":\"mining.notify\",\"params\":[17", false, null }, // a number needs a delimiter after it
        { "{\"method\":\"mining.notify\",\"params\":[17/", true, null },
        { "{\"method\":\"mining.notify\",\"params\":[17x", false, null },
        { "{\"method\":\"mining.notify\",\"params\":[truex", true, null }, // a literal does not
        { "{\"method\":\"mining.notify\",\"params\":[tru", false, null },
        { "{\"method\":\"mining.notify\",\"params\":[{", true, null },
        { "{\"method\":\"mining.notify\",\"params\":[]", false, null },
        { "{\"method\":\"mining.notify\",\"params\":\"job7\"}", true, null },
        { "{\"method\":\"mining.notify\",\"params\":[,]}", false, null },
        { "{\"method\":truex", true, null },
        { "{\"method\":12x", false, null },
        { "{\"method\":12/", true, null },
        { "{\"method\":", false, null },
        { "{\"params\":[\"job7\"],\"method\":\"mining.notify\"}", true, "job7" },
        { "{\"params\":[\"job7\"],\"method\":\"mining.notify\"", true, "job7" },
        { "{\"params\":[\"job7\",x],\"method\":\"mining.notify\"}", false, null }, // params before the method are read whole
        { "{\"params\":[\"job7\",[[1]]],\"params\":[3],\"method\":\"mining.notify\"}", true, "job7" },
        { "{\"\\ud800\":1}", false, null },
        { "{\"par\\ud800\":1}", false, null },
        { "{\"id\":4,\"result\":true,\"error\":null} x", true, null },
        { "{\"id\":4,\"result\":null,\"error\":[23,\"low\",null]", false, null },
    };

    [Theory]
    [MemberData(nameof(TrickyLines))]
    public void Tricky_lines_get_the_readers_verdict_and_fields(string latin1, bool valid)
    {
        var line = Encoding.Latin1.GetBytes(latin1);
        var reader = ReaderOutcome(new ReadOnlySequence<byte>(line));
        Assert.Equal(valid, reader.Valid);
        Assert.Equal(reader, ScannerOutcome(line));
        Assert.Equal(reader, InspectorOutcome(line));
    }

    [Theory]
    [MemberData(nameof(TrickyPoolLines))]
    public void Tricky_pool_lines_get_the_readers_partial_reading(string latin1, bool valid, string? jobId)
    {
        var line = Encoding.Latin1.GetBytes(latin1);
        var reader = PoolReaderOutcome(new ReadOnlySequence<byte>(line));
        Assert.Equal(valid, reader.Line.Valid);
        Assert.Equal(jobId ?? string.Empty, Encoding.Latin1.GetString(Convert.FromHexString(reader.FirstParamHex)));
        Assert.Equal(reader, PoolInspectorOutcome(new ReadOnlySequence<byte>(line)));
    }

    [Fact]
    public void Repeated_members_apply_in_order_as_in_the_reader_pass()
    {
        // Later values overwrite, but a null id or error leaves the earlier one, and so does a code that is no int.
        Assert.Equal(Expect(hasId: true, idKey: 2), ScannerOutcome("""{"id":1,"id":2}"""));
        Assert.Equal(Expect(hasId: true, idKey: 1), ScannerOutcome("""{"id":1,"id":null}"""));
        Assert.Equal(Expect(method: StratumMethod.Other), ScannerOutcome("""{"method":"mining.submit","method":5}"""));
        Assert.Equal(Expect(), ScannerOutcome("""{"result":true,"result":1}"""));
        Assert.Equal(Expect(hasError: true, errorCode: 21), ScannerOutcome("""{"error":[21],"error":null}"""));
        Assert.Equal(Expect(hasError: true, errorCode: 21), ScannerOutcome("""{"error":[21],"error":[1.5]}"""));
        Assert.Equal(Expect(hasError: true, errorCode: 4), ScannerOutcome("""{"error":{"code":3,"code":"x","code":4}}"""));
        Assert.Equal(Expect(hasId: true, idKey: 5, method: StratumMethod.Submit), ScannerOutcome("""{"\u0069d":5,"method":"mining.submi\u0074"}"""));
        foreach (var line in new[] { """{"id":1,"id":2}""", """{"id":1,"id":null}""", """{"error":{"code":3,"code":"x","code":4}}""" })
        {
            Assert.Equal(ReaderOutcome(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line))), ScannerOutcome(line));
        }
    }

    [Theory]
    [InlineData("""{"id":"4"}""", -1196926929819560477)]
    [InlineData("""{"id":1.0}""", -638318145203373512)]
    [InlineData("""{"id":1e2}""", -704319629208566895)]
    [InlineData("""{"id":9223372036854775808}""", -4100105607919159444)]
    [InlineData("""{"id":-9223372036854775808}""", long.MinValue)]
    [InlineData("""{"id":true}""", long.MinValue)]
    public void Ids_keep_the_keys_they_had_before_the_scanner(string line, long idKey)
    {
        // Both passes share the hashing, so the differential test alone would not notice a change of seed.
        Assert.Equal(Expect(hasId: true, idKey: idKey), ScannerOutcome(line));
        Assert.Equal(Expect(hasId: true, idKey: idKey), ReaderOutcome(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line))));
    }

    [Fact]
    public void Random_lines_get_the_same_verdict_and_fields_from_scanner_and_reader_whole_or_split()
    {
        var clock = Stopwatch.StartNew();
        int checkedCases = 0, valid = 0;
        for (; checkedCases < MaxCases && clock.Elapsed < Deadline; checkedCases++)
        {
            var caseSeed = BaseSeed + checkedCases;
            var random = new Random(caseSeed);
            var line = StratumLineMutator.Next(random);
            var scanner = ScannerOutcome(line);
            var inspector = InspectorOutcome(line);
            var reader = ReaderOutcome(new ReadOnlySequence<byte>(line));
            var split = line.Length < 2 ? reader : InspectorOutcome(Split(random, line));
            if (scanner != reader || inspector != reader || split != reader)
            {
                Assert.Fail(
                    $"case seed {caseSeed} (base {BaseSeed}, case {checkedCases}), line {Show(line)}:\n" +
                    $"  scanner   {scanner}\n  inspector {inspector}\n  reader    {reader}\n  split     {split}");
            }

            valid += reader.Valid ? 1 : 0;
        }

        output.WriteLine($"base seed {BaseSeed}: {checkedCases} cases in {clock.Elapsed.TotalSeconds:F1} s, {valid} of them valid");
        Assert.True(checkedCases >= MinCases, $"only {checkedCases} cases in {Deadline}");
        // Both verdicts must be well represented, or the comparison proves little.
        Assert.InRange(valid, checkedCases / 10, checkedCases * 9 / 10);
    }

    [Fact]
    public void Random_pool_lines_get_the_same_partial_reading_from_scanner_and_reader_whole_or_split()
    {
        var clock = Stopwatch.StartNew();
        int checkedCases = 0, valid = 0;
        for (; checkedCases < MaxCases && clock.Elapsed < Deadline; checkedCases++)
        {
            // Other seeds than the miner lines', to see other lines.
            var caseSeed = BaseSeed + MaxCases + checkedCases;
            var random = new Random(caseSeed);
            var line = StratumLineMutator.Next(random);
            var scanner = PoolInspectorOutcome(new ReadOnlySequence<byte>(line));
            var reader = PoolReaderOutcome(new ReadOnlySequence<byte>(line));
            var split = line.Length < 2 ? reader : PoolInspectorOutcome(Split(random, line));
            if (scanner != reader || split != reader)
            {
                Assert.Fail(
                    $"case seed {caseSeed} (base {BaseSeed}, pool case {checkedCases}), line {Show(line)}:\n" +
                    $"  scanner   {scanner}\n  reader    {reader}\n  split     {split}");
            }

            valid += reader.Line.Valid ? 1 : 0;
        }

        output.WriteLine($"base seed {BaseSeed}: {checkedCases} pool cases in {clock.Elapsed.TotalSeconds:F1} s, {valid} of them valid");
        Assert.True(checkedCases >= MinCases, $"only {checkedCases} cases in {Deadline}");
        Assert.InRange(valid, checkedCases / 10, checkedCases * 9 / 10);
    }

    [Fact]
    public void Scanning_allocates_nothing()
    {
        var lines = StratumLineMutator.RealLines.Select(Encoding.UTF8.GetBytes).ToArray();
        foreach (var line in lines)
        {
            StratumLineScanner.TryScan(line, out _);
            StratumLineScanner.TryScanPoolLine(line, out _, out _, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var validLines = 0;
        for (var round = 0; round < 100; round++)
        {
            foreach (var line in lines)
            {
                validLines += StratumLineScanner.TryScan(line, out _) ? 1 : 0;
                validLines += StratumLineScanner.TryScanPoolLine(line, out _, out _, out _) ? 1 : 0;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2 * 100 * lines.Length, validLines);
    }

    private static Outcome ScannerOutcome(string text) => ScannerOutcome(Encoding.UTF8.GetBytes(text));

    private static Outcome ScannerOutcome(byte[] line) => new(StratumLineScanner.TryScan(line, out var message), message);

    private static Outcome InspectorOutcome(byte[] line) => InspectorOutcome(new ReadOnlySequence<byte>(line));

    private static Outcome InspectorOutcome(in ReadOnlySequence<byte> line) => new(StratumMessageInspector.TryInspect(line, out var message), message);

    private static Outcome ReaderOutcome(in ReadOnlySequence<byte> line) =>
        new(StratumMessageInspector.TryInspectWithReader(line, out var message), message);

    private static PoolOutcome PoolInspectorOutcome(in ReadOnlySequence<byte> line) =>
        new(new(StratumMessageInspector.TryInspectPoolLine(line, out var message, out var firstParam), message), Convert.ToHexString(firstParam.ToArray()));

    private static PoolOutcome PoolReaderOutcome(in ReadOnlySequence<byte> line) =>
        new(new(StratumMessageInspector.TryInspectPoolLineWithReader(line, out var message, out var firstParam), message), Convert.ToHexString(firstParam.ToArray()));

    private static Outcome Expect(bool hasId = false, long idKey = 0, StratumMethod method = StratumMethod.None, bool hasError = false, int errorCode = 0) =>
        new(true, method, hasId, idKey, false, hasError, errorCode);

    /// <summary>Two to four non-empty segments cut at random.</summary>
    private static ReadOnlySequence<byte> Split(Random random, byte[] line)
    {
        var cuts = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(1, line.Length)).Distinct().Order().ToList();
        var parts = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts.Append(line.Length))
        {
            parts.Add(line[start..cut]);
            start = cut;
        }

        var split = StratumLineReaderTests.Segmented([.. parts]);
        Assert.False(split.IsSingleSegment);
        return split;
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static string NestedObjects(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);

    private static string Show(byte[] line) =>
        string.Concat(line.Select(b => b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}"));

    private readonly record struct PoolOutcome(Outcome Line, string FirstParamHex);

    private readonly record struct Outcome(bool Valid, StratumMethod Method, bool HasId, long IdKey, bool ResultIsTrue, bool HasError, int ErrorCode)
    {
        public Outcome(bool valid, StratumMessage message)
            : this(valid, message.Method, message.HasId, message.IdKey, message.ResultIsTrue, message.HasError, message.ErrorCode)
        {
        }
    }
}
