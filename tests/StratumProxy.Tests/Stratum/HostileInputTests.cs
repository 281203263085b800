using System.Buffers;
using System.Text;
using Stratum.Protocol.Framing;
using StratumProxy.Stratum;
using StratumProxy.Tests.Protocol;

namespace StratumProxy.Tests.Stratum;

/// <summary>Random and hostile input through the framing and JSON layers: no crash, nothing over the limit, same lines at every split.</summary>
public sealed class HostileInputTests
{
    private const int MaxLine = 1024;

    private static readonly string[] Fragments =
    [
        "{\"id\":4,\"method\":\"mining.submit\",\"params\":[\"w\",\"j\",\"00\",\"01\",\"02\"]}",
        "{\"id\":", "\"method\"", "[[[[[[", "]]]]", "\\u0000", "\u00ff\u00fe", "\n", "\r\n", "{}", "null", "\"",
        "{\"id\":1,\"result\":true,\"error\":null}", "{\"id\":1e400}", "{\"id\":-0.0}", "{\"params\":{\"a\":[1,2,{\"b\":null}]}}",
    ];

    [Fact]
    public void Random_streams_split_at_random_points_never_throw_and_agree_with_the_unsplit_reading()
    {
        var random = new Random(20261124);
        for (var round = 0; round < 500; round++)
        {
            var bytes = RandomStream(random);
            var whole = ReadAll(new ReadOnlySequence<byte>(bytes));
            var cut = random.Next(bytes.Length + 1);
            var split = ReadAll(StratumLineReaderTests.Segmented(bytes[..cut], bytes[cut..]));
            Assert.Equal(whole, split);
        }
    }

    [Fact]
    public void Invalid_utf8_and_control_bytes_are_handled_as_data()
    {
        byte[] line = [.. "{\"id\":1,\"method\":\""u8, 0xC3, 0x28, 0xFF, 0x00, .. "\"}"u8];
        var sequence = new ReadOnlySequence<byte>(line);
        // Whatever the verdict, it is a verdict and not an exception.
        _ = StratumMessageInspector.TryInspect(sequence, out _);
        Assert.Null(StratumMessageInspector.ReadParamString(sequence, 0));
    }

    [Fact]
    public void A_huge_line_is_refused_without_being_buffered_whole()
    {
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'a');
        var buffer = new ReadOnlySequence<byte>(chunk);
        Assert.Equal(LineReadStatus.TooLong, StratumLineReader.TryReadLine(ref buffer, MaxLine, out _));
        Assert.Equal(chunk.Length, buffer.Length); // nothing consumed: the caller closes the session
    }

    private static byte[] RandomStream(Random random)
    {
        var builder = new StringBuilder();
        var parts = random.Next(1, 40);
        for (var i = 0; i < parts; i++)
        {
            builder.Append(random.Next(4) == 0 ? new string((char)random.Next(32, 127), random.Next(1, 300)) : Fragments[random.Next(Fragments.Length)]);
        }

        var bytes = Encoding.UTF8.GetBytes(builder.ToString());
        if (random.Next(3) == 0 && bytes.Length > 0)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256); // raw, possibly invalid UTF-8
        }

        return bytes;
    }

    private static List<string> ReadAll(ReadOnlySequence<byte> buffer)
    {
        var outcomes = new List<string>();
        while (true)
        {
            var status = StratumLineReader.TryReadLine(ref buffer, MaxLine, out var line);
            if (status != LineReadStatus.Line)
            {
                outcomes.Add(status.ToString());
                return outcomes;
            }

            Assert.True(line.Length <= MaxLine);
            var valid = StratumMessageInspector.TryInspect(line, out var message);
            outcomes.Add($"{line.Length}:{valid}:{message.Method}:{message.IdKey}:{message.ErrorCode}");
        }
    }
}
