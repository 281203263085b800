using System.Buffers.Binary;

namespace StratumPool.Shares;

/// <summary>
/// Header hashes already accepted for one job (duplicate detection). Keyed on the 32-byte hash, so version-rolled
/// shares with the same nonce are different shares. Bounded: past <see cref="Capacity"/> it refuses to track more.
/// </summary>
/// <remarks>
/// Striped <see cref="HashSet{T}"/>s of a 32-byte struct rather than one concurrent dictionary: an entry lives in the
/// set's arrays, not in a node object per share, so a job with a million shares is a few arrays the collector does
/// not scan, and a share costs one lookup under one short lock.
/// </remarks>
internal sealed class ShareHashSet
{
    public const int DefaultCapacity = 1_000_000;

    private const int StripeCount = 16;

    private readonly HashSet<HeaderHash>[] _stripes;
    private int _count;

    public ShareHashSet(int capacity)
    {
        Capacity = capacity;
        _stripes = new HashSet<HeaderHash>[StripeCount];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = [];
        }
    }

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds the hash; <see cref="AddResult.Duplicate"/> if it was seen, <see cref="AddResult.Full"/> at capacity.</summary>
    public AddResult TryAdd(ReadOnlySpan<byte> hash)
    {
        var key = new HeaderHash(
            BinaryPrimitives.ReadUInt64LittleEndian(hash),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
        var stripe = _stripes[(int)(key.B % StripeCount)];
        lock (stripe)
        {
            if (!stripe.Add(key))
            {
                return AddResult.Duplicate;
            }

            if (Interlocked.Increment(ref _count) > Capacity)
            {
                Interlocked.Decrement(ref _count);
                stripe.Remove(key);
                return AddResult.Full;
            }
        }

        return AddResult.Added;
    }

    public enum AddResult
    {
        Added,
        Duplicate,
        Full,
    }

    private readonly record struct HeaderHash(ulong A, ulong B, ulong C, ulong D)
    {
        // Randomly seeded per process, so no one can pick shares that pile into one bucket.
        public override int GetHashCode() => HashCode.Combine(A, B, C, D);
    }
}
