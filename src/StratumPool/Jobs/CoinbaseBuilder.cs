using System.Buffers.Binary;
using System.Text;

namespace StratumPool.Jobs;

/// <summary>
/// Builds the coinbase of a job as Stratum's two halves around the extranonce space (non-witness serialization):
/// <c>coinb1 = version | 1 input (null prevout) | script length | BIP34 height push | push(extranonce size)</c>,
/// then extranonce1 ‖ extranonce2, then <c>coinb2 = tag push | sequence | outputs (payout, witness commitment) | locktime</c>.
/// </summary>
public sealed class CoinbaseBuilder
{
    /// <summary>Consensus limit of a coinbase scriptSig.</summary>
    public const int MaxScriptSigLength = 100;

    private const int TransactionVersion = 2;

    private readonly byte[] _coinb1;
    private readonly byte[] _tagPush;
    private readonly long _value;
    private readonly byte[]? _witnessCommitmentScript;

    public CoinbaseBuilder(long height, string tag, int extraNonceSize, long value, byte[]? witnessCommitmentScript)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(extraNonceSize, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(extraNonceSize, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ExtraNonceSize = extraNonceSize;
        _value = value;
        _witnessCommitmentScript = witnessCommitmentScript;

        var heightPush = Bip34.EncodeHeight(height);
        var room = MaxScriptSigLength - heightPush.Length - 1 - extraNonceSize - 1;
        var tagBytes = Encoding.UTF8.GetBytes(tag ?? "");
        var tagLength = Math.Min(Math.Min(tagBytes.Length, room), 75);
        _tagPush = tagLength == 0 ? [] : [(byte)tagLength, .. tagBytes.AsSpan(0, tagLength)];

        var scriptLength = heightPush.Length + 1 + extraNonceSize + _tagPush.Length;
        var writer = new List<byte>(64);
        WriteUInt32(writer, TransactionVersion);
        writer.Add(1);
        writer.AddRange(new byte[32]);
        WriteUInt32(writer, uint.MaxValue);
        WriteVarInt(writer, (ulong)scriptLength);
        writer.AddRange(heightPush);
        writer.Add((byte)extraNonceSize);
        _coinb1 = [.. writer];
    }

    public int ExtraNonceSize { get; }

    public byte[] Coinb1 => _coinb1;

    /// <summary>The second half for a coinbase paying the whole value to <paramref name="payoutScript"/>.</summary>
    public byte[] BuildCoinb2(ReadOnlySpan<byte> payoutScript)
    {
        var writer = new List<byte>(128);
        writer.AddRange(_tagPush);
        WriteUInt32(writer, uint.MaxValue);
        WriteVarInt(writer, _witnessCommitmentScript is null ? 1UL : 2UL);
        WriteOutput(writer, _value, payoutScript);
        if (_witnessCommitmentScript is not null)
        {
            WriteOutput(writer, 0, _witnessCommitmentScript);
        }

        WriteUInt32(writer, 0);
        return [.. writer];
    }

    private static void WriteOutput(List<byte> writer, long value, ReadOnlySpan<byte> script)
    {
        Span<byte> amount = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(amount, value);
        writer.AddRange(amount);
        WriteVarInt(writer, (ulong)script.Length);
        writer.AddRange(script);
    }

    private static void WriteUInt32(List<byte> writer, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        writer.AddRange(bytes);
    }

    internal static void WriteVarInt(List<byte> writer, ulong value)
    {
        Span<byte> bytes = stackalloc byte[9];
        writer.AddRange(bytes[..VarInt.Write(value, bytes)]);
    }
}

/// <summary>Bitcoin's CompactSize integers.</summary>
public static class VarInt
{
    public static int Write(ulong value, Span<byte> destination)
    {
        switch (value)
        {
            case < 0xfd:
                destination[0] = (byte)value;
                return 1;
            case <= 0xffff:
                destination[0] = 0xfd;
                BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], (ushort)value);
                return 3;
            case <= 0xffffffff:
                destination[0] = 0xfe;
                BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)value);
                return 5;
            default:
                destination[0] = 0xff;
                BinaryPrimitives.WriteUInt64LittleEndian(destination[1..], value);
                return 9;
        }
    }
}
