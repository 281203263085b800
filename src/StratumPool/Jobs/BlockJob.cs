using System.Collections.Concurrent;
using System.Globalization;
using StratumPool.Shares;

namespace StratumPool.Jobs;

/// <summary>
/// One Stratum job: a block template turned into header fields, merkle branch and coinbase halves. Immutable
/// except for the caches of per-payout coinbases and the set of header hashes already submitted.
/// </summary>
public sealed class BlockJob : MiningJob
{
    private const int MaxCachedPayouts = 50_000;

    private readonly Func<PayoutTarget?, (byte[] Coinb1, byte[] Coinb2)> _coinbaseFactory;
    private readonly ConcurrentDictionary<string, CoinbaseParts> _payoutCoinbases = new(StringComparer.Ordinal);
    private CoinbaseParts? _defaultCoinbase;

    internal BlockJob(
        string id,
        JobHeaderFields header,
        byte[][] branch,
        byte[][] transactions,
        bool segwit,
        long coinbaseValue,
        int extraNonceSize,
        DateTimeOffset createdAt,
        Func<PayoutTarget?, (byte[] Coinb1, byte[] Coinb2)> coinbaseFactory,
        int maxTrackedShares = ShareHashSet.DefaultCapacity)
    {
        Id = id;
        Header = header;
        Height = header.Height;
        CreatedAt = createdAt;
        NetworkDifficulty = CompactTarget.ToDifficulty(header.Bits);
        Target = CompactTarget.ToTargetBytes(header.Bits);
        BranchBytes = new byte[branch.Length * 32];
        for (var i = 0; i < branch.Length; i++)
        {
            branch[i].CopyTo(BranchBytes, i * 32);
        }

        BranchHex = Array.ConvertAll(branch, b => Convert.ToHexStringLower(b));
        Transactions = transactions;
        Segwit = segwit;
        CoinbaseValue = coinbaseValue;
        ExtraNonceSize = extraNonceSize;
        _coinbaseFactory = coinbaseFactory;
        SubmittedShares = new ShareHashSet(maxTrackedShares);
        MerkleRoots = new MerkleRootCache(Math.Min(maxTrackedShares, MerkleRootCache.DefaultCapacity));
        PrevHashStratum = ByteOrder.ToStratumPrevHash(header.PrevHash);
        PreviousBlockHash = ByteOrder.ToDisplayHex(header.PrevHash);
    }

    /// <summary>The parent block's hash, display order.</summary>
    public string PreviousBlockHash { get; }

    public override string Id { get; }

    public override long Height { get; }

    public override DateTimeOffset CreatedAt { get; }

    public override double NetworkDifficulty { get; }

    internal JobHeaderFields Header { get; }

    /// <summary>Block target from nBits, 32 little-endian bytes.</summary>
    internal byte[] Target { get; }

    /// <summary>The merkle branch, n × 32 internal-order bytes, ready for folding.</summary>
    internal byte[] BranchBytes { get; }

    internal string[] BranchHex { get; }

    /// <summary>Raw serialized transactions after the coinbase, in template order.</summary>
    internal byte[][] Transactions { get; }

    /// <summary>The block follows BIP141: the coinbase carries the witness commitment and a witness reserved value.</summary>
    internal bool Segwit { get; }

    internal long CoinbaseValue { get; }

    /// <summary>extranonce1 + extranonce2 bytes the coinbase reserves.</summary>
    internal int ExtraNonceSize { get; }

    internal string PrevHashStratum { get; }

    internal ShareHashSet SubmittedShares { get; }

    /// <summary>Merkle roots already computed for a coinbase and extranonce (a miner sends many shares per extranonce2).</summary>
    internal MerkleRootCache MerkleRoots { get; }

    /// <summary>Coinbase halves and notify params for <paramref name="payout"/> (null: the job's default payout).</summary>
    internal CoinbaseParts GetCoinbase(PayoutTarget? payout)
    {
        if (payout is null)
        {
            return _defaultCoinbase ??= CreateParts(null);
        }

        if (_payoutCoinbases.TryGetValue(payout.Address, out var parts))
        {
            return parts;
        }

        parts = CreateParts(payout);
        return _payoutCoinbases.Count < MaxCachedPayouts ? _payoutCoinbases.GetOrAdd(payout.Address, parts) : parts;
    }

    private CoinbaseParts CreateParts(PayoutTarget? payout)
    {
        var (coinb1, coinb2) = _coinbaseFactory(payout);
        var notify = new NotifyParameters(
            Id,
            PrevHashStratum,
            Convert.ToHexStringLower(coinb1),
            Convert.ToHexStringLower(coinb2),
            BranchHex,
            Header.Version.ToString("x8", CultureInfo.InvariantCulture),
            Header.Bits.ToString("x8", CultureInfo.InvariantCulture),
            Header.NTime.ToString("x8", CultureInfo.InvariantCulture));
        return new CoinbaseParts(coinb1, coinb2, notify);
    }
}

/// <summary>The header fields a job fixes; the miner supplies the merkle root (via extranonce), ntime, nonce and version bits.</summary>
internal sealed record JobHeaderFields(long Height, byte[] PrevHash, uint Version, uint Bits, uint NTime, uint MinTime);

/// <summary>
/// The two coinbase halves around the extranonce space, and the notify params that carry them. Compared by
/// reference: one instance per job and payout.
/// </summary>
internal sealed class CoinbaseParts(byte[] coinb1, byte[] coinb2, NotifyParameters notify)
{
    public byte[] Coinb1 { get; } = coinb1;

    public byte[] Coinb2 { get; } = coinb2;

    public NotifyParameters Notify { get; } = notify;
}
