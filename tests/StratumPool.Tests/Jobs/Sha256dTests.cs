using System.Security.Cryptography;
using StratumPool.Jobs;

namespace StratumPool.Tests.Jobs;

/// <summary>
/// <see cref="Sha256d"/> calls OpenSSL directly on Linux and keeps one runtime digest per thread elsewhere: both give
/// the results of two plain SHA-256 passes through the runtime.
/// </summary>
public sealed class Sha256dTests
{
    private static byte[] Reference(byte[] data) => SHA256.HashData(SHA256.HashData(data));

    [Fact]
    public void HashesOnManyThreadsMatchTwoPlainPasses()
    {
        const int Inputs = 2_000;
        var inputs = Enumerable.Range(0, Inputs).Select(i => RandomNumberGenerator.GetBytes(i % 300)).ToArray();
        var expected = inputs.Select(Reference).ToArray();
        var results = new byte[Inputs][];

        Parallel.For(0, Inputs, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var destination = new byte[32];
            Sha256d.Hash(inputs[i], destination);
            results[i] = destination;
        });

        Assert.Equal(expected, results);
    }

    [Fact]
    public void OpenSslIsCalledDirectlyOnLinux()
    {
        // The share validator's speed rests on this path (docs/benchmarks.md); a runtime or OpenSSL update that
        // breaks the known-answer check would silently fall back to the slower digest.
        Assert.Equal(OperatingSystem.IsLinux(), OpenSslSha256.IsAvailable);
    }

    [Fact]
    public void EveryLengthAroundTheBlockBoundariesMatchesTheRuntime()
    {
        // SHA-256 pads into one or two more blocks depending on length mod 64: cover every residue up to three blocks.
        var random = new Random(20261203);
        for (var length = 0; length <= 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            var direct = new byte[32];
            var runtime = new byte[32];

            Sha256d.Hash(data, direct);
            Sha256d.HashWithRuntime(data, runtime);

            Assert.True(Reference(data).AsSpan().SequenceEqual(direct), $"direct path differs at length {length}");
            Assert.True(Reference(data).AsSpan().SequenceEqual(runtime), $"runtime path differs at length {length}");
        }
    }

    [Fact]
    public void DestinationMayOverlapTheInput()
    {
        var pair = RandomNumberGenerator.GetBytes(64);
        var expected = Reference(pair);

        // The merkle fold hashes a 64-byte node into its own first half.
        Sha256d.Hash(pair, pair);

        Assert.Equal(expected, pair[..32]);
    }
}
