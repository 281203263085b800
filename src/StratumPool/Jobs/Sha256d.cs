using System.Security.Cryptography;

namespace StratumPool.Jobs;

/// <summary>Bitcoin's double SHA-256 on spans, without allocations.</summary>
public static class Sha256d
{
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> first = stackalloc byte[32];
        SHA256.HashData(data, first);
        SHA256.HashData(first, destination);
    }

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var result = new byte[32];
        Hash(data, result);
        return result;
    }

    /// <summary>sha256d(left ‖ right) of two 32-byte nodes, the merkle tree's inner step.</summary>
    public static void HashPair(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> pair = stackalloc byte[64];
        left.CopyTo(pair);
        right.CopyTo(pair[32..]);
        Hash(pair, destination);
    }
}
