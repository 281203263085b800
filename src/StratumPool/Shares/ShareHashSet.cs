using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace StratumPool.Shares;

/// <summary>
/// Header hashes already accepted for one job (duplicate detection). Keyed on the 32-byte hash, so version-rolled
/// shares with the same nonce are different shares. Bounded: past <see cref="Capacity"/> it refuses to track more.
/// </summary>
internal sealed class ShareHashSet(int capacity)
{
    public const int DefaultCapacity = 1_000_000;

    private readonly ConcurrentDictionary<HeaderHash, byte> _hashes = new();
    private int _count;

    public int Capacity { get; } = capacity;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds the hash; <see cref="AddResult.Duplicate"/> if it was seen, <see cref="AddResult.Full"/> at capacity.</summary>
    public AddResult TryAdd(ReadOnlySpan<byte> hash)
    {
        var key = new HeaderHash(
            BinaryPrimitives.ReadUInt64LittleEndian(hash),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
        if (_hashes.ContainsKey(key))
        {
            return AddResult.Duplicate;
        }

        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return AddResult.Full;
        }

        if (!_hashes.TryAdd(key, 0))
        {
            Interlocked.Decrement(ref _count);
            return AddResult.Duplicate;
        }

        return AddResult.Added;
    }

    public enum AddResult
    {
        Added,
        Duplicate,
        Full,
    }

    private readonly record struct HeaderHash(ulong A, ulong B, ulong C, ulong D);
}
