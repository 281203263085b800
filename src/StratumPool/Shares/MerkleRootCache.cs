using System.Buffers.Binary;
using System.Collections.Concurrent;
using StratumPool.Jobs;

namespace StratumPool.Shares;

/// <summary>
/// Merkle roots of one job by coinbase and extranonce1‖extranonce2 (at most 12 bytes). Shares that differ only in
/// nonce, ntime or version bits then cost one header hash instead of the coinbase and branch hashes. Bounded.
/// </summary>
internal sealed class MerkleRootCache(int capacity)
{
    public const int DefaultCapacity = 65_536;

    private readonly ConcurrentDictionary<Key, Root> _roots = new();
    private int _count;

    public bool TryGet(CoinbaseParts parts, ReadOnlySpan<byte> extraNonce, Span<byte> root)
    {
        if (extraNonce.Length > 12 || !_roots.TryGetValue(KeyOf(parts, extraNonce), out var value))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(root, value.A);
        BinaryPrimitives.WriteUInt64LittleEndian(root[8..], value.B);
        BinaryPrimitives.WriteUInt64LittleEndian(root[16..], value.C);
        BinaryPrimitives.WriteUInt64LittleEndian(root[24..], value.D);
        return true;
    }

    public void Add(CoinbaseParts parts, ReadOnlySpan<byte> extraNonce, ReadOnlySpan<byte> root)
    {
        if (extraNonce.Length > 12 || Volatile.Read(ref _count) >= capacity)
        {
            return;
        }

        var value = new Root(
            BinaryPrimitives.ReadUInt64LittleEndian(root),
            BinaryPrimitives.ReadUInt64LittleEndian(root[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(root[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(root[24..]));
        if (_roots.TryAdd(KeyOf(parts, extraNonce), value))
        {
            Interlocked.Increment(ref _count);
        }
    }

    private static Key KeyOf(CoinbaseParts parts, ReadOnlySpan<byte> extraNonce)
    {
        Span<byte> packed = stackalloc byte[12];
        packed.Clear();
        extraNonce.CopyTo(packed);
        return new Key(parts, BinaryPrimitives.ReadUInt64LittleEndian(packed), BinaryPrimitives.ReadUInt32LittleEndian(packed[8..]), extraNonce.Length);
    }

    private readonly struct Key(CoinbaseParts parts, ulong low, uint high, int length) : IEquatable<Key>
    {
        private readonly CoinbaseParts _parts = parts;
        private readonly ulong _low = low;
        private readonly uint _high = high;
        private readonly int _length = length;

        public bool Equals(Key other) =>
            ReferenceEquals(_parts, other._parts) && _low == other._low && _high == other._high && _length == other._length;

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        public override int GetHashCode() =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_parts), _low, _high);
    }

    private readonly record struct Root(ulong A, ulong B, ulong C, ulong D);
}
