using System.Buffers;
using System.Text;
using Stratum.Protocol.Framing;

namespace StratumProxy.Tests.Protocol;

public sealed class StratumLineReaderTests
{
    private const string Two = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n{\"id\":4,\"method\":\"mining.submit\",\"params\":[\"w\",\"j\",\"00\",\"01\",\"02\"]}\r\n";

    [Fact]
    public void Reads_lines_and_strips_crlf()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Two));
        Assert.Equal(LineReadStatus.Line, StratumLineReader.TryReadLine(ref buffer, 1024, out var first));
        Assert.Equal(LineReadStatus.Line, StratumLineReader.TryReadLine(ref buffer, 1024, out var second));
        Assert.Equal(LineReadStatus.NeedMoreData, StratumLineReader.TryReadLine(ref buffer, 1024, out _));
        Assert.Equal(Two.Split('\n')[0], Encoding.ASCII.GetString(first.ToArray()));
        Assert.Equal(Two.Split('\n')[1].TrimEnd('\r'), Encoding.ASCII.GetString(second.ToArray()));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Every_split_point_across_segments_gives_the_same_lines()
    {
        var bytes = Encoding.ASCII.GetBytes(Two);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var buffer = Segmented(bytes[..cut], bytes[cut..]);
            var lines = new List<string>();
            while (StratumLineReader.TryReadLine(ref buffer, 1024, out var line) == LineReadStatus.Line)
            {
                lines.Add(Encoding.ASCII.GetString(line.ToArray()));
            }

            Assert.Equal([Two.Split('\n')[0], Two.Split('\n')[1].TrimEnd('\r')], lines);
        }
    }

    [Fact]
    public void A_pending_line_over_the_limit_is_too_long_with_or_without_its_newline()
    {
        var unterminated = new ReadOnlySequence<byte>(new byte[600]);
        Assert.Equal(LineReadStatus.TooLong, StratumLineReader.TryReadLine(ref unterminated, 512, out _));

        var terminated = Segmented(new byte[300], [.. new byte[300], (byte)'\n']);
        Assert.Equal(LineReadStatus.TooLong, StratumLineReader.TryReadLine(ref terminated, 512, out _));

        var exact = new ReadOnlySequence<byte>([.. new byte[512], (byte)'\n']);
        Assert.Equal(LineReadStatus.Line, StratumLineReader.TryReadLine(ref exact, 512, out var line));
        Assert.Equal(512, line.Length);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(48)]
    [InlineData(47)]
    public void The_span_reader_frames_as_the_sequence_reader_does(int maxLineBytes)
    {
        // The subscribe is 48 bytes: at 47 it is too long and both readers stop there.
        byte[] bytes = [.. Encoding.ASCII.GetBytes(Two + "\r\n{\"id\":5"), .. new byte[600]];
        var sequence = new ReadOnlySequence<byte>(bytes);
        ReadOnlySpan<byte> span = bytes;
        while (true)
        {
            var expected = StratumLineReader.TryReadLine(ref sequence, maxLineBytes, out var expectedLine);
            var actual = StratumLineReader.TryReadLine(ref span, maxLineBytes, out var line);
            Assert.Equal(expected, actual);
            Assert.Equal(expectedLine.ToArray(), line.ToArray());
            Assert.Equal(sequence.Length, span.Length);
            if (actual != LineReadStatus.Line)
            {
                break;
            }
        }
    }

    internal static ReadOnlySequence<byte> Segmented(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
