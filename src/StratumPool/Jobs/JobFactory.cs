using System.Globalization;
using NBitcoin;

namespace StratumPool.Jobs;

/// <summary>Turns a <c>getblocktemplate</c> result into a <see cref="BlockJob"/>.</summary>
public sealed class JobFactory
{
    private readonly string _coinbaseTag;
    private readonly int _extraNonceSize;
    private readonly PayoutTarget _defaultPayout;
    private readonly int _maxTrackedShares;

    /// <param name="coinbaseTag">Text in every coinbase script.</param>
    /// <param name="extraNonceSize">extranonce1 + extranonce2 size in bytes.</param>
    /// <param name="defaultPayout">Who the coinbase pays when a session has no payout of its own.</param>
    public JobFactory(string coinbaseTag, int extraNonceSize, PayoutTarget defaultPayout, int maxTrackedShares = Shares.ShareHashSet.DefaultCapacity)
    {
        _coinbaseTag = coinbaseTag;
        _extraNonceSize = extraNonceSize;
        _defaultPayout = defaultPayout;
        _maxTrackedShares = maxTrackedShares;
    }

    public BlockJob Create(BlockTemplate template, string jobId, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.Height <= 0 || template.CurTime <= 0 || string.IsNullOrEmpty(template.PreviousBlockHash))
        {
            throw new FormatException("The block template lacks height, curtime or previousblockhash.");
        }

        var transactions = new byte[template.Transactions.Length][];
        var txids = new byte[template.Transactions.Length][];
        var wtxids = new byte[template.Transactions.Length][];
        for (var i = 0; i < transactions.Length; i++)
        {
            var entry = template.Transactions[i];
            transactions[i] = Convert.FromHexString(entry.Data);
            Transaction? parsed = null;
            txids[i] = entry.TxId is { Length: 64 } ? ByteOrder.FromDisplayHex(entry.TxId)
                : entry.Hash is { Length: 64 } && !template.SegwitActive ? ByteOrder.FromDisplayHex(entry.Hash)
                : (parsed ??= Transaction.Load(transactions[i], Network.RegTest)).GetHash().ToBytes();
            wtxids[i] = entry.Hash is { Length: 64 } ? ByteOrder.FromDisplayHex(entry.Hash)
                : (parsed ??= Transaction.Load(transactions[i], Network.RegTest)).GetWitHash().ToBytes();
        }

        byte[]? commitment = null;
        if (template.SegwitActive)
        {
            commitment = template.DefaultWitnessCommitment is { Length: > 0 } given
                ? Convert.FromHexString(given)
                : MerkleTree.WitnessCommitmentScript(wtxids, new byte[32]);
        }

        var coinbase = new CoinbaseBuilder(template.Height, _coinbaseTag, _extraNonceSize, template.CoinbaseValue, commitment);
        var curTime = checked((uint)template.CurTime);
        var header = new JobHeaderFields(
            template.Height,
            ByteOrder.FromDisplayHex(template.PreviousBlockHash),
            unchecked((uint)template.Version),
            CompactTarget.Parse(template.Bits),
            curTime,
            template.MinTime > 0 ? checked((uint)template.MinTime) : curTime);
        var defaultPayout = _defaultPayout;
        return new BlockJob(
            jobId,
            header,
            [.. MerkleTree.ComputeBranch(txids)],
            transactions,
            template.SegwitActive,
            template.CoinbaseValue,
            _extraNonceSize,
            createdAt,
            payout => (coinbase.Coinb1, coinbase.BuildCoinb2((payout ?? defaultPayout).ScriptPubKey)),
            _maxTrackedShares);
    }

    /// <summary>
    /// A job from the fields of a recorded <c>mining.notify</c> (its coinbase halves are used for every payout).
    /// Used to validate recorded shares through the same code path as live ones.
    /// </summary>
    public static BlockJob FromNotify(
        NotifyParameters notify,
        int extraNonceSize,
        long height,
        DateTimeOffset createdAt,
        IReadOnlyList<string>? transactionsHex = null,
        bool segwit = false)
    {
        var coinb1 = Convert.FromHexString(notify.Coinb1);
        var coinb2 = Convert.FromHexString(notify.Coinb2);
        var ntime = uint.Parse(notify.NTime, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        var header = new JobHeaderFields(
            height,
            ByteOrder.FromStratumPrevHash(notify.PrevHash),
            uint.Parse(notify.Version, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            CompactTarget.Parse(notify.NBits),
            ntime,
            ntime);
        var branch = notify.MerkleBranch.Select(Convert.FromHexString).ToArray();
        var transactions = (transactionsHex ?? []).Select(Convert.FromHexString).ToArray();
        return new BlockJob(notify.JobId, header, branch, transactions, segwit, 0, extraNonceSize, createdAt, _ => (coinb1, coinb2));
    }
}
