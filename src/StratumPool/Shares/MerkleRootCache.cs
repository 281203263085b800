using System.Buffers.Binary;
using StratumPool.Jobs;

namespace StratumPool.Shares;

/// <summary>
/// Merkle roots of one job by coinbase and extranonce1‖extranonce2 (at most 12 bytes). Shares that differ only in
/// nonce, ntime or version bits then cost one header hash instead of the coinbase and branch hashes. Bounded.
/// Striped dictionaries of structs under short locks: a new extranonce adds no node object.
/// </summary>
internal sealed class MerkleRootCache
{
    public const int DefaultCapacity = 65_536;

    private const int StripeCount = 16;

    private readonly Dictionary<Key, Root>[] _stripes;
    private readonly int _capacity;
    private int _count;

    public MerkleRootCache(int capacity)
    {
        _capacity = capacity;
        _stripes = new Dictionary<Key, Root>[StripeCount];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = [];
        }
    }

    public bool TryGet(CoinbaseParts parts, ReadOnlySpan<byte> extraNonce, Span<byte> root)
    {
        if (extraNonce.Length > 12)
        {
            return false;
        }

        var key = KeyOf(parts, extraNonce);
        var stripe = StripeOf(key);
        Root value;
        lock (stripe)
        {
            if (!stripe.TryGetValue(key, out value))
            {
                return false;
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(root, value.A);
        BinaryPrimitives.WriteUInt64LittleEndian(root[8..], value.B);
        BinaryPrimitives.WriteUInt64LittleEndian(root[16..], value.C);
        BinaryPrimitives.WriteUInt64LittleEndian(root[24..], value.D);
        return true;
    }

    public void Add(CoinbaseParts parts, ReadOnlySpan<byte> extraNonce, ReadOnlySpan<byte> root)
    {
        if (extraNonce.Length > 12 || Volatile.Read(ref _count) >= _capacity)
        {
            return;
        }

        var value = new Root(
            BinaryPrimitives.ReadUInt64LittleEndian(root),
            BinaryPrimitives.ReadUInt64LittleEndian(root[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(root[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(root[24..]));
        var key = KeyOf(parts, extraNonce);
        var stripe = StripeOf(key);
        lock (stripe)
        {
            if (stripe.TryAdd(key, value))
            {
                Interlocked.Increment(ref _count);
            }
        }
    }

    private Dictionary<Key, Root> StripeOf(Key key) => _stripes[(uint)key.GetHashCode() % StripeCount];

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
