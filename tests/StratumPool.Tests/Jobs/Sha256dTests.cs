using System.Security.Cryptography;
using StratumPool.Jobs;

namespace StratumPool.Tests.Jobs;

/// <summary><see cref="Sha256d"/> keeps one digest per thread: results stay those of two plain SHA-256 passes.</summary>
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
    public void DestinationMayOverlapTheInput()
    {
        var pair = RandomNumberGenerator.GetBytes(64);
        var expected = Reference(pair);

        // The merkle fold hashes a 64-byte node into its own first half.
        Sha256d.Hash(pair, pair);

        Assert.Equal(expected, pair[..32]);
    }
}
