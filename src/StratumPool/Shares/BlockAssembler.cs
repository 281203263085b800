using StratumPool.Jobs;

namespace StratumPool.Shares;

/// <summary>Serializes a solved block: header, transaction count, coinbase (with its witness under BIP141), transactions.</summary>
internal static class BlockAssembler
{
    public static byte[] Assemble(BlockJob job, BlockSolution solution)
    {
        var coinbase = job.Segwit ? AddWitnessReservedValue(solution.Coinbase) : solution.Coinbase;
        Span<byte> count = stackalloc byte[9];
        var countLength = VarInt.Write((ulong)(job.Transactions.Length + 1), count);
        var size = 80 + countLength + coinbase.Length;
        foreach (var tx in job.Transactions)
        {
            size += tx.Length;
        }

        var block = new byte[size];
        var at = 0;
        solution.Header.CopyTo(block, at);
        at += 80;
        count[..countLength].CopyTo(block.AsSpan(at));
        at += countLength;
        coinbase.CopyTo(block, at);
        at += coinbase.Length;
        foreach (var tx in job.Transactions)
        {
            tx.CopyTo(block, at);
            at += tx.Length;
        }

        return block;
    }

    /// <summary>
    /// The coinbase in witness serialization: <c>version | 00 01 | inputs | outputs | [1 item: 32 zero bytes] | locktime</c>,
    /// the zero item being the witness reserved value the commitment was computed with.
    /// </summary>
    public static byte[] AddWitnessReservedValue(ReadOnlySpan<byte> nonWitnessCoinbase)
    {
        var body = nonWitnessCoinbase[4..^4];
        var result = new byte[nonWitnessCoinbase.Length + 2 + 2 + 32];
        nonWitnessCoinbase[..4].CopyTo(result);
        result[4] = 0x00;
        result[5] = 0x01;
        body.CopyTo(result.AsSpan(6));
        var at = 6 + body.Length;
        result[at] = 0x01;
        result[at + 1] = 0x20;
        nonWitnessCoinbase[^4..].CopyTo(result.AsSpan(at + 2 + 32));
        return result;
    }
}
