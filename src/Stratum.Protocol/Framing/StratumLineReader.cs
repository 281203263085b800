using System.Buffers;

namespace Stratum.Protocol.Framing;

/// <summary>Outcome of looking for one newline-terminated line in a buffer.</summary>
public enum LineReadStatus
{
    /// <summary>A complete line was found (without its terminator).</summary>
    Line,

    /// <summary>No terminator yet and the pending bytes are within the limit: read more.</summary>
    NeedMoreData,

    /// <summary>The pending line is longer than the configured limit.</summary>
    TooLong,
}

/// <summary>
/// Pure Stratum line codec: Stratum v1 frames every JSON-RPC message as one line ending in <c>\n</c>.
/// A <c>\r</c> before the newline is tolerated and stripped from the returned line.
/// </summary>
public static class StratumLineReader
{
    /// <summary>
    /// Slices the first complete line off <paramref name="buffer"/>. On <see cref="LineReadStatus.Line"/>,
    /// <paramref name="buffer"/> is advanced past the terminator and <paramref name="line"/> holds the line
    /// without it; otherwise <paramref name="buffer"/> is left as it was.
    /// </summary>
    /// <param name="buffer">Unconsumed input; advanced past the line when one is found.</param>
    /// <param name="maxLineBytes">Largest line accepted, terminator excluded.</param>
    /// <param name="line">The line's bytes without its terminator.</param>
    public static LineReadStatus TryReadLine(ref ReadOnlySequence<byte> buffer, int maxLineBytes, out ReadOnlySequence<byte> line)
    {
        if (buffer.IsSingleSegment)
        {
            var status = Find(buffer.FirstSpan, maxLineBytes, out var length, out var consumed);
            if (status != LineReadStatus.Line)
            {
                line = default;
                return status;
            }

            line = buffer.Slice(0, length);
            buffer = buffer.Slice(consumed);
            return status;
        }

        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return buffer.Length > maxLineBytes ? LineReadStatus.TooLong : LineReadStatus.NeedMoreData;
        }

        var candidate = buffer.Slice(0, newline.Value);
        if (candidate.Length > 0 && EndsWithCarriageReturn(candidate))
        {
            candidate = candidate.Slice(0, candidate.Length - 1);
        }

        if (candidate.Length > maxLineBytes)
        {
            line = default;
            return LineReadStatus.TooLong;
        }

        line = candidate;
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return LineReadStatus.Line;
    }

    /// <summary>
    /// As the overload for sequences, on contiguous input (a receive buffer): no sequence to build or slice per line.
    /// </summary>
    public static LineReadStatus TryReadLine(ref ReadOnlySpan<byte> buffer, int maxLineBytes, out ReadOnlySpan<byte> line)
    {
        var status = Find(buffer, maxLineBytes, out var length, out var consumed);
        if (status != LineReadStatus.Line)
        {
            line = default;
            return status;
        }

        line = buffer[..length];
        buffer = buffer[consumed..];
        return status;
    }

    /// <summary>The first line of <paramref name="span"/>: its length without terminator, and the bytes it takes with it.</summary>
    private static LineReadStatus Find(ReadOnlySpan<byte> span, int maxLineBytes, out int length, out int consumed)
    {
        var index = span.IndexOf((byte)'\n');
        if (index < 0)
        {
            length = consumed = 0;
            return span.Length > maxLineBytes ? LineReadStatus.TooLong : LineReadStatus.NeedMoreData;
        }

        length = index > 0 && span[index - 1] == (byte)'\r' ? index - 1 : index;
        consumed = index + 1;
        return length > maxLineBytes ? LineReadStatus.TooLong : LineReadStatus.Line;
    }

    private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> sequence)
    {
        var last = sequence.Slice(sequence.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
