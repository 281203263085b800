namespace StratumPool.Jobs;

/// <summary>Bitcoin merkle trees over internal-order 32-byte hashes (an odd level duplicates its last node).</summary>
public static class MerkleTree
{
    /// <summary>
    /// The Stratum merkle branch for a coinbase at position 0 followed by <paramref name="transactionHashes"/>:
    /// at each level the sibling of the coinbase's path, the coinbase always on the left.
    /// </summary>
    public static IReadOnlyList<byte[]> ComputeBranch(IReadOnlyList<byte[]> transactionHashes)
    {
        var branch = new List<byte[]>();
        // Index 0 is the coinbase's slot; its value never matters for the branch.
        var level = new List<byte[]>(transactionHashes.Count + 1) { Array.Empty<byte>() };
        level.AddRange(transactionHashes);
        while (level.Count > 1)
        {
            branch.Add(level[1]);
            if (level.Count % 2 == 1)
            {
                level.Add(level[^1]);
            }

            var next = new List<byte[]>((level.Count / 2) + 1) { Array.Empty<byte>() };
            for (var i = 2; i < level.Count; i += 2)
            {
                var parent = new byte[32];
                Sha256d.HashPair(level[i], level[i + 1], parent);
                next.Add(parent);
            }

            level = next;
        }

        return branch;
    }

    /// <summary>The merkle root of all leaves (used to check whole blocks).</summary>
    public static byte[] ComputeRoot(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 0)
        {
            throw new ArgumentException("A merkle tree needs at least one leaf.", nameof(leaves));
        }

        var level = new List<byte[]>(leaves);
        while (level.Count > 1)
        {
            if (level.Count % 2 == 1)
            {
                level.Add(level[^1]);
            }

            var next = new List<byte[]>(level.Count / 2);
            for (var i = 0; i < level.Count; i += 2)
            {
                var parent = new byte[32];
                Sha256d.HashPair(level[i], level[i + 1], parent);
                next.Add(parent);
            }

            level = next;
        }

        return (byte[])level[0].Clone();
    }

    /// <summary>Folds <paramref name="branchBytes"/> (n × 32 bytes) onto <paramref name="leaf"/>, the leaf always on the left.</summary>
    public static void RootFromBranch(ReadOnlySpan<byte> leaf, ReadOnlySpan<byte> branchBytes, Span<byte> root)
    {
        Span<byte> pair = stackalloc byte[64];
        leaf[..32].CopyTo(pair);
        for (var offset = 0; offset < branchBytes.Length; offset += 32)
        {
            branchBytes.Slice(offset, 32).CopyTo(pair[32..]);
            Sha256d.Hash(pair, pair);
        }

        pair[..32].CopyTo(root);
    }

    /// <summary>
    /// The BIP141 commitment script <c>6a24aa21a9ed ‖ sha256d(witness_root ‖ reserved)</c>, where the witness root is
    /// built from the wtxids with 32 zero bytes for the coinbase.
    /// </summary>
    public static byte[] WitnessCommitmentScript(IReadOnlyList<byte[]> nonCoinbaseWtxids, ReadOnlySpan<byte> reservedValue)
    {
        var leaves = new List<byte[]>(nonCoinbaseWtxids.Count + 1) { new byte[32] };
        leaves.AddRange(nonCoinbaseWtxids);
        var witnessRoot = ComputeRoot(leaves);
        var script = new byte[38];
        WitnessCommitmentPrefix.CopyTo(script);
        Sha256d.HashPair(witnessRoot, reservedValue, script.AsSpan(6));
        return script;
    }

    /// <summary><c>OP_RETURN OP_PUSHBYTES_36 aa21a9ed</c>.</summary>
    public static ReadOnlySpan<byte> WitnessCommitmentPrefix => [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
}
