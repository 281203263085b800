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
        SequencePosition? newline;
        if (buffer.IsSingleSegment)
        {
            var span = buffer.FirstSpan;
            var index = span.IndexOf((byte)'\n');
            if (index < 0)
            {
                line = default;
                return span.Length > maxLineBytes ? LineReadStatus.TooLong : LineReadStatus.NeedMoreData;
            }

            var length = index > 0 && span[index - 1] == (byte)'\r' ? index - 1 : index;
            if (length > maxLineBytes)
            {
                line = default;
                return LineReadStatus.TooLong;
            }

            line = buffer.Slice(0, length);
            buffer = buffer.Slice(index + 1);
            return LineReadStatus.Line;
        }

        newline = buffer.PositionOf((byte)'\n');
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

    private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> sequence)
    {
        var last = sequence.Slice(sequence.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
