using System.Buffers;

namespace StratumProxy.Benchmarks;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/> as a pipe hands it over after several reads.</summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    private BufferSegment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public static ReadOnlySequence<byte> Split(byte[] data, int segmentBytes)
    {
        var first = new BufferSegment(data.AsMemory(0, Math.Min(segmentBytes, data.Length)));
        var last = first;
        for (var offset = segmentBytes; offset < data.Length; offset += segmentBytes)
        {
            var next = new BufferSegment(data.AsMemory(offset, Math.Min(segmentBytes, data.Length - offset)))
            {
                RunningIndex = last.RunningIndex + last.Memory.Length,
            };
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
