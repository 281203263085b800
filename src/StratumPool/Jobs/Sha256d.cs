using System.Security.Cryptography;

namespace StratumPool.Jobs;

/// <summary>Bitcoin's double SHA-256 on spans, without allocations.</summary>
/// <remarks>
/// Uses the runtime's SHA-256 through one <see cref="IncrementalHash"/> per thread: on Linux every one-shot
/// <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> creates and frees an OpenSSL digest context, and with
/// 80-byte inputs that set-up, not the compression, is most of the cost (bench/StratumProxy.Benchmarks, Shares/).
/// </remarks>
public static class Sha256d
{
    [ThreadStatic]
    private static IncrementalHash? _sha256;

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var sha256 = _sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> first = stackalloc byte[32];
        sha256.AppendData(data);
        sha256.GetHashAndReset(first);
        sha256.AppendData(first);
        sha256.GetHashAndReset(destination[..32]);
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
