using System.Buffers;
using Microsoft.Extensions.ObjectPool;

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

    /// <summary>Blocks kept for reuse at most (16 MiB); one returned beyond that is left to the collector.</summary>
    private const int MaxPooled = 4096;

    private static readonly ObjectPool<byte[]> s_blocks =
        new DefaultObjectPoolProvider { MaximumRetained = MaxPooled }.Create(new PinnedBlockPolicy());

    public static byte[] Rent(int minimumLength) =>
        minimumLength > BlockSize ? ArrayPool<byte>.Shared.Rent(minimumLength) : s_blocks.Get();

    public static void Return(byte[] array)
    {
        if (array.Length == BlockSize)
        {
            s_blocks.Return(array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private sealed class PinnedBlockPolicy : PooledObjectPolicy<byte[]>
    {
        public override byte[] Create() => GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

        public override bool Return(byte[] obj) => true;
    }
}
