using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using StratumPool.Jobs;

namespace StratumProxy.Benchmarks.Shares;

/// <summary>
/// The hash primitive under share validation: <see cref="Sha256d"/> (one reused runtime digest per thread) on an
/// 80-byte header and a 64-byte merkle node, against the runtime's one-shot <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>.
/// On Linux both are OpenSSL; most of a call is the native call itself (context set-up, error-queue clearing), not
/// the compression, so the number of hash calls per share is what validation cost follows.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class Sha256dBenchmarks
{
    private readonly byte[] _header = new byte[80];
    private readonly byte[] _node = new byte[64];
    private readonly byte[] _hash = new byte[32];

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

    [Benchmark(Description = "Sha256d.HashWithRuntime (reused runtime digest), 80-byte header")]
    public byte RuntimeHeader()
    {
        _header[76]++;
        Sha256d.HashWithRuntime(_header, _hash);
        return _hash[0];
    }

    [Benchmark(Description = "SHA256.HashData twice (one-shot), 80-byte header")]
    public byte OneShotHeader()
    {
        _header[76]++;
        Span<byte> first = stackalloc byte[32];
        SHA256.HashData(_header, first);
        SHA256.HashData(first, _hash);
        return _hash[0];
    }

    [Benchmark(Description = "SHA256.HashData once, 80 bytes")]
    public byte SingleHeader()
    {
        _header[76]++;
        SHA256.HashData(_header, _hash);
        return _hash[0];
    }
}
