using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace StratumPool.Stratum;

/// <summary>Hands out 4-byte extranonce1 values, unique among open sessions.</summary>
public sealed class ExtraNonceAllocator
{
    private readonly ConcurrentDictionary<uint, byte> _inUse = new();
    private uint _next = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// Allocates <paramref name="preferred"/> when it is free (a reconnecting miner's previous session id),
    /// otherwise the next free value.
    /// </summary>
    public uint Allocate(uint? preferred = null)
    {
        if (preferred is { } wanted && _inUse.TryAdd(wanted, 0))
        {
            return wanted;
        }

        while (true)
        {
            var candidate = Interlocked.Increment(ref _next);
            if (_inUse.TryAdd(candidate, 0))
            {
                return candidate;
            }
        }
    }

    public void Release(uint value) => _inUse.TryRemove(value, out _);

    public int Count => _inUse.Count;
}
