using System.Buffers;
using System.Collections.Concurrent;

namespace Stratum.Transport;

/// <summary>
/// The arrays sockets receive into and send from. Those of the usual size live on the pinned object heap, as
/// Kestrel's block pool does: the socket engine pins a buffer for as long as an operation runs, and pinned arrays in
/// the ordinary heap keep the collector from compacting around them. Larger ones, for the rare long line, come
/// from the shared array pool.
/// </summary>
internal static class SocketBufferPool
{
    public const int BlockSize = 4096;

    /// <summary>Arrays kept for reuse at most (16 MiB); beyond that a returned array is left to the collector.</summary>
    private const int MaxPooled = 4096;

    private static readonly ConcurrentQueue<byte[]> s_blocks = new();
    private static int s_count;

    public static byte[] Rent(int minimumLength)
    {
        if (minimumLength > BlockSize)
        {
            return ArrayPool<byte>.Shared.Rent(minimumLength);
        }

        if (s_blocks.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref s_count);
            return block;
        }

        return GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
    }

    public static void Return(byte[] array)
    {
        if (array.Length != BlockSize)
        {
            ArrayPool<byte>.Shared.Return(array);
            return;
        }

        if (Interlocked.Increment(ref s_count) <= MaxPooled)
        {
            s_blocks.Enqueue(array);
            return;
        }

        Interlocked.Decrement(ref s_count);
    }
}
