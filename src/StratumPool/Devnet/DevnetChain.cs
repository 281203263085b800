using System.Buffers.Binary;
using NBitcoin;
using StratumPool.Chain;
using StratumPool.Jobs;

namespace StratumPool.Devnet;

/// <summary>
/// The devnet's in-memory chain: regtest-like rules (50-coin subsidy halving every 150 blocks, segwit from genesis,
/// BIP34 heights) with a fixed difficulty. Every submitted block is fully checked before it extends the tip; there are
/// no reorganisations and no mempool.
/// </summary>
public sealed class DevnetChain
{
    public const int HalvingInterval = 150;

    private const uint BlockVersion = 0x20000000;

    private static readonly string[] Rules = ["csv", "!segwit", "taproot"];

    private readonly TimeProvider _time;
    private readonly List<DevnetBlock> _blocks = [];
    private readonly Dictionary<string, DevnetBlock> _byHash = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();
    private readonly byte[] _target;
    private readonly string _emptyWitnessCommitment;

    public DevnetChain(double difficulty, TimeProvider time)
    {
        _time = time;
        var target = HashMath.TargetFromDifficulty(difficulty);
        // Never easier than regtest's proof-of-work limit (0x207fffff).
        var powLimit = CompactTarget.ToTarget(0x207fffff);
        Bits = CompactTarget.FromTarget(target > powLimit ? powLimit : target);
        _target = CompactTarget.ToTargetBytes(Bits);
        Difficulty = CompactTarget.ToDifficulty(Bits);
        _emptyWitnessCommitment = Convert.ToHexStringLower(MerkleTree.WitnessCommitmentScript([], new byte[32]));
        AddGenesis();
    }

    /// <summary>The fixed nBits of every block.</summary>
    public uint Bits { get; }

    /// <summary>Difficulty of <see cref="Bits"/> (difficulty-1 target / block target).</summary>
    public double Difficulty { get; }

    public DevnetBlock Tip
    {
        get
        {
            lock (_lock)
            {
                return _blocks[^1];
            }
        }
    }

    public static long Subsidy(long height)
    {
        var halvings = height / HalvingInterval;
        return halvings >= 64 ? 0 : (50L * 100_000_000) >> (int)halvings;
    }

    public DevnetBlock? GetBlock(string hash)
    {
        lock (_lock)
        {
            return _byHash.GetValueOrDefault(hash);
        }
    }

    public DevnetBlock? GetBlock(long height)
    {
        lock (_lock)
        {
            return height >= 0 && height < _blocks.Count ? _blocks[(int)height] : null;
        }
    }

    /// <summary>A <c>getblocktemplate</c> result for the next block.</summary>
    public BlockTemplate CreateTemplate()
    {
        lock (_lock)
        {
            var tip = _blocks[^1];
            var minTime = MedianTimePast() + 1;
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            return new BlockTemplate
            {
                Version = BlockVersion,
                Rules = Rules,
                PreviousBlockHash = tip.Hash,
                Transactions = [],
                CoinbaseValue = Subsidy(tip.Height + 1),
                LongPollId = tip.Hash + tip.Height.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Target = Convert.ToHexStringLower(_target.Reverse().ToArray()),
                MinTime = minTime,
                CurTime = Math.Max(now, minTime),
                Bits = Bits.ToString("x8", System.Globalization.CultureInfo.InvariantCulture),
                Height = tip.Height + 1,
                DefaultWitnessCommitment = _emptyWitnessCommitment,
            };
        }
    }

    /// <summary>Checks and connects a block; null when accepted, otherwise Bitcoin Core's BIP22 reject reason.</summary>
    public string? SubmitBlock(ReadOnlySpan<byte> raw)
    {
        Block block;
        try
        {
            block = Block.Load(raw.ToArray(), Network.RegTest);
        }
        catch (Exception ex) when (ex is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException("Block decode failed", ex);
        }

        if (block.ToBytes().Length != raw.Length)
        {
            throw new FormatException("Block decode failed");
        }

        lock (_lock)
        {
            var reason = Check(block, raw[..80]);
            if (reason is null)
            {
                Connect(block, raw.ToArray());
            }

            return reason;
        }
    }

    private string? Check(Block block, ReadOnlySpan<byte> header)
    {
        var tip = _blocks[^1];
        var hash = Sha256d.Hash(header);
        var hashHex = ByteOrder.ToDisplayHex(hash);
        if (_byHash.ContainsKey(hashHex))
        {
            return "duplicate";
        }

        var prev = block.Header.HashPrevBlock.ToString();
        if (!string.Equals(prev, tip.Hash, StringComparison.OrdinalIgnoreCase))
        {
            return _byHash.ContainsKey(prev) ? "inconclusive" : "prev-blk-not-found";
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[72..]) != Bits)
        {
            return "bad-diffbits";
        }

        if (!HashMath.MeetsTarget(hash, _target))
        {
            return "high-hash";
        }

        var time = BinaryPrimitives.ReadUInt32LittleEndian(header[68..]);
        if (time <= MedianTimePast())
        {
            return "time-too-old";
        }

        if (time > _time.GetUtcNow().ToUnixTimeSeconds() + 7200)
        {
            return "time-too-new";
        }

        var transactions = block.Transactions;
        if (transactions.Count == 0 || !transactions[0].IsCoinBase)
        {
            return "bad-cb-missing";
        }

        if (transactions.Skip(1).Any(t => t.IsCoinBase))
        {
            return "bad-cb-multiple";
        }

        var txids = transactions.Select(t => t.GetHash().ToBytes()).ToList();
        if (!MerkleTree.ComputeRoot(txids).AsSpan().SequenceEqual(header.Slice(36, 32)))
        {
            return "bad-txnmrklroot";
        }

        var coinbase = transactions[0];
        var height = tip.Height + 1;
        if (!Bip34.StartsWithHeight(coinbase.Inputs[0].ScriptSig.ToBytes(), height))
        {
            return "bad-cb-height";
        }

        var scriptSigLength = coinbase.Inputs[0].ScriptSig.Length;
        if (scriptSigLength is < 2 or > CoinbaseBuilder.MaxScriptSigLength)
        {
            return "bad-cb-length";
        }

        if (transactions.Count > 1)
        {
            // The devnet has no mempool or UTXO set: only coinbase-only blocks can be valid.
            return "bad-txns-inputs-missingorspent";
        }

        if (coinbase.TotalOut.Satoshi > Subsidy(height))
        {
            return "bad-cb-amount";
        }

        return CheckWitnessCommitment(block);
    }

    private static string? CheckWitnessCommitment(Block block)
    {
        var coinbase = block.Transactions[0];
        var prefix = MerkleTree.WitnessCommitmentPrefix.ToArray();
        byte[]? commitment = null;
        foreach (var output in coinbase.Outputs)
        {
            var script = output.ScriptPubKey.ToBytes();
            if (script.Length >= 38 && script.AsSpan().StartsWith(prefix))
            {
                commitment = script;
            }
        }

        if (commitment is null)
        {
            return block.Transactions.Any(t => t.HasWitness) ? "unexpected-witness" : null;
        }

        var witness = coinbase.Inputs[0].WitScript.Pushes.ToArray();
        if (witness.Length != 1 || witness[0].Length != 32)
        {
            return "bad-witness-nonce-size";
        }

        var wtxids = block.Transactions.Skip(1).Select(t => t.GetWitHash().ToBytes()).ToList();
        var expected = MerkleTree.WitnessCommitmentScript(wtxids, witness[0]);
        return commitment.AsSpan(0, 38).SequenceEqual(expected) ? null : "bad-witness-merkle-match";
    }

    private void Connect(Block block, byte[] raw)
    {
        var height = _blocks.Count;
        var entry = new DevnetBlock(
            block.Header.GetHash().ToString(),
            height,
            block.Header.Version,
            block.Header.HashMerkleRoot.ToString(),
            (uint)block.Header.BlockTime.ToUnixTimeSeconds(),
            block.Header.Nonce,
            Bits,
            block.Header.HashPrevBlock.ToString(),
            block.Transactions.Select(t => t.GetHash().ToString()).ToArray(),
            raw);
        _blocks.Add(entry);
        _byHash[entry.Hash] = entry;
    }

    private long MedianTimePast()
    {
        var times = _blocks.Skip(Math.Max(0, _blocks.Count - 11)).Select(b => (long)b.Time).Order().ToArray();
        return times[times.Length / 2];
    }

    private void AddGenesis()
    {
        var payout = ChainNetworkParameters.For(ChainNetwork.Devnet).ParsePayout(ChainNetworkParameters.DevnetAddress);
        var builder = new CoinbaseBuilder(0, "stratum-pool devnet genesis", 8, Subsidy(0), null);
        var coinbase = Convert.FromHexString(Convert.ToHexString(builder.Coinb1) + "0000000000000000" + Convert.ToHexString(builder.BuildCoinb2(payout.ScriptPubKey)));
        var txid = Sha256d.Hash(coinbase);
        var header = new byte[80];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1);
        txid.CopyTo(header, 36);
        var time = (uint)_time.GetUtcNow().ToUnixTimeSeconds();
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(68), time);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(72), Bits);
        var raw = new byte[80 + 1 + coinbase.Length];
        header.CopyTo(raw, 0);
        raw[80] = 1;
        coinbase.CopyTo(raw, 81);
        var genesis = new DevnetBlock(
            ByteOrder.ToDisplayHex(Sha256d.Hash(header)),
            0,
            1,
            ByteOrder.ToDisplayHex(txid),
            time,
            0,
            Bits,
            new string('0', 64),
            [ByteOrder.ToDisplayHex(txid)],
            raw);
        _blocks.Add(genesis);
        _byHash[genesis.Hash] = genesis;
    }
}

/// <summary>One connected devnet block.</summary>
public sealed record DevnetBlock(
    string Hash,
    long Height,
    int Version,
    string MerkleRoot,
    uint Time,
    uint Nonce,
    uint Bits,
    string PreviousBlockHash,
    string[] TransactionIds,
    byte[] Raw);
