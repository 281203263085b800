using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using StratumPool.Jobs;

namespace StratumProxy.Benchmarks.Shares;

/// <summary>
/// The hash primitive under share validation: SHA-256d of an 80-byte header and of a 64-byte merkle node with the
/// runtime's SHA-256 (OpenSSL on Linux). Most of a call is the native call itself (context set-up, error-queue
/// clearing), not the compression, so the number of calls per share is what validation cost follows.
/// </summary>
[MemoryDiagnoser]
public class Sha256dBenchmarks
{
    private readonly byte[] _header = new byte[80];
    private readonly byte[] _node = new byte[64];
    private readonly byte[] _hash = new byte[32];
    private readonly IncrementalHash _incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_header);
        new Random(8).NextBytes(_node);
    }

    [Benchmark(Description = "Sha256d.Hash, 80-byte header")]
    public byte Header()
    {
        _header[76]++;
        Sha256d.Hash(_header, _hash);
        return _hash[0];
    }

    [Benchmark(Description = "Sha256d.Hash, 64-byte merkle node")]
    public byte Node()
    {
        _node[0]++;
        Sha256d.Hash(_node, _hash);
        return _hash[0];
    }

    [Benchmark(Description = "SHA256.HashData once, 80 bytes")]
    public byte SingleHeader()
    {
        _header[76]++;
        SHA256.HashData(_header, _hash);
        return _hash[0];
    }

    [Benchmark(Description = "IncrementalHash reused, sha256d of 80 bytes")]
    public byte IncrementalHeader()
    {
        _header[76]++;
        Span<byte> first = stackalloc byte[32];
        _incremental.AppendData(_header);
        _incremental.GetHashAndReset(first);
        _incremental.AppendData(first);
        _incremental.GetHashAndReset(_hash);
        return _hash[0];
    }
}
