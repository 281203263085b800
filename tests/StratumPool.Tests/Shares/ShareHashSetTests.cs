using StratumPool.Jobs;
using StratumPool.Shares;

namespace StratumPool.Tests.Shares;

/// <summary>The per-job duplicate set and merkle-root cache: exact keys, their bounds, and concurrent use.</summary>
public sealed class ShareHashSetTests
{
    private static byte[] HashOf(int i) => Sha256d.Hash(BitConverter.GetBytes(i));

    [Fact]
    public void SameHashIsADuplicateAndAHashDifferingInAnyLimbIsNot()
    {
        var set = new ShareHashSet(100);
        var hash = HashOf(1);

        Assert.Equal(ShareHashSet.AddResult.Added, set.TryAdd(hash));
        Assert.Equal(ShareHashSet.AddResult.Duplicate, set.TryAdd(hash.ToArray()));
        foreach (var offset in new[] { 0, 8, 16, 24, 31 })
        {
            var other = hash.ToArray();
            other[offset] ^= 1;
            Assert.Equal(ShareHashSet.AddResult.Added, set.TryAdd(other));
        }

        Assert.Equal(6, set.Count);
    }

    [Fact]
    public void PastCapacityNewHashesAreRefusedAndNotRemembered()
    {
        var set = new ShareHashSet(3);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ShareHashSet.AddResult.Added, set.TryAdd(HashOf(i)));
        }

        Assert.Equal(ShareHashSet.AddResult.Full, set.TryAdd(HashOf(3)));
        // Refused, so not tracked: asking again is still "full", not "duplicate".
        Assert.Equal(ShareHashSet.AddResult.Full, set.TryAdd(HashOf(3)));
        Assert.Equal(ShareHashSet.AddResult.Duplicate, set.TryAdd(HashOf(2)));
        Assert.Equal(3, set.Count);
    }

    [Fact]
    public void ConcurrentSubmittersGetEachHashAcceptedExactlyOnce()
    {
        const int Distinct = 20_000;
        const int Threads = 4;
        var hashes = Enumerable.Range(0, Distinct).Select(HashOf).ToArray();
        var set = new ShareHashSet(Distinct);
        var added = new int[Threads];
        var duplicates = new int[Threads];

        // Every thread submits every hash, each from a different starting point, so they race on the same keys.
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            for (var i = 0; i < Distinct; i++)
            {
                switch (set.TryAdd(hashes[(i + (t * Distinct / Threads)) % Distinct]))
                {
                    case ShareHashSet.AddResult.Added:
                        added[t]++;
                        break;
                    case ShareHashSet.AddResult.Duplicate:
                        duplicates[t]++;
                        break;
                }
            }
        });

        Assert.Equal(Distinct, added.Sum());
        Assert.Equal(Distinct * (Threads - 1), duplicates.Sum());
        Assert.Equal(Distinct, set.Count);
    }

    [Fact]
    public void MerkleRootsAreKeptPerCoinbaseAndExtranonceWithinTheirBound()
    {
        var cache = new MerkleRootCache(2);
        var pool = Parts("pool");
        var solo = Parts("solo");
        byte[] extraNonce = [1, 2, 3, 4, 0, 0, 0, 0];
        var root = HashOf(42);
        Span<byte> found = stackalloc byte[32];

        Assert.False(cache.TryGet(pool, extraNonce, found));
        cache.Add(pool, extraNonce, root);

        Assert.True(cache.TryGet(pool, extraNonce, found));
        Assert.Equal(root, found.ToArray());
        Assert.False(cache.TryGet(solo, extraNonce, found));
        Assert.False(cache.TryGet(pool, [1, 2, 3, 4, 0, 0, 0, 1], found));
        Assert.False(cache.TryGet(pool, [1, 2, 3, 4, 0, 0, 0], found));

        cache.Add(solo, extraNonce, HashOf(43));
        cache.Add(pool, [9, 9, 9, 9, 9, 9, 9, 9], HashOf(44));
        Assert.True(cache.TryGet(solo, extraNonce, found));
        Assert.Equal(HashOf(43), found.ToArray());
        Assert.False(cache.TryGet(pool, [9, 9, 9, 9, 9, 9, 9, 9], found));
    }

    private static CoinbaseParts Parts(string tag) =>
        new([1, 2], [3, 4], new NotifyParameters(tag, "", "0102", "0304", [], "20000000", "1d00ffff", "00000000"));
}
