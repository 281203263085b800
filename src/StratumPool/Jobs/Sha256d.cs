using System.Security.Cryptography;

namespace StratumPool.Jobs;

/// <summary>Bitcoin's double SHA-256 on spans, without allocations.</summary>
/// <remarks>
/// On Linux this is OpenSSL's SHA-256 called directly (<see cref="OpenSslSha256"/>): for inputs of 32 to 250 bytes the
/// runtime's wrapper around the same code costs several times the hashing. Elsewhere it is the runtime's SHA-256
/// through one <see cref="IncrementalHash"/> per thread, since every one-shot
/// <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> creates and frees a digest context
/// (bench/StratumProxy.Benchmarks, Shares/).
/// </remarks>
public static class Sha256d
{
    [ThreadStatic]
    private static IncrementalHash? _sha256;

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (OpenSslSha256.IsAvailable)
        {
            Span<byte> inner = stackalloc byte[32];
            OpenSslSha256.Hash(data, inner);
            OpenSslSha256.Hash(inner, destination);
            return;
        }

        HashWithRuntime(data, destination);
    }

    /// <summary>The same double SHA-256 through the runtime's digest, whatever the platform.</summary>
    internal static void HashWithRuntime(ReadOnlySpan<byte> data, Span<byte> destination)
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
