using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace StratumProxy.Routing.LoadBalancing;

/// <summary>
/// A hash ring with <see cref="VirtualNodesPerWeight"/> × weight points per destination, placed by hashing the
/// destination's name (not its address, so re-addressing a node keeps its keys). Adding or removing one of N
/// destinations moves about 1/N of the keys. Built once per configuration snapshot; lookups are a binary search.
/// </summary>
public sealed class ConsistentHashRing
{
    /// <summary>Points per unit of weight; 160 is what ketama-style rings use for an even spread.</summary>
    public const int VirtualNodesPerWeight = 160;

    private readonly ulong[] _points;
    private readonly int[] _owners;
    private readonly DestinationState[] _destinations;

    public ConsistentHashRing(DestinationState[] destinations)
    {
        _destinations = destinations;
        var total = 0;
        foreach (var destination in destinations)
        {
            total += VirtualNodesPerWeight * Math.Max(1, destination.Settings.Weight);
        }

        _points = new ulong[total];
        _owners = new int[total];
        var next = 0;
        Span<byte> buffer = stackalloc byte[1024];
        for (var owner = 0; owner < destinations.Length; owner++)
        {
            var name = destinations[owner].Name.ToLowerInvariant();
            var nameBytes = Encoding.UTF8.GetByteCount(name) + 4 <= buffer.Length
                ? Encoding.UTF8.GetBytes(name, buffer)
                : throw new ArgumentException($"Destination name '{name}' is too long for the hash ring.", nameof(destinations));
            var points = VirtualNodesPerWeight * Math.Max(1, destinations[owner].Settings.Weight);
            for (var point = 0; point < points; point++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer[nameBytes..], point);
                _points[next] = XxHash64.HashToUInt64(buffer[..(nameBytes + 4)]);
                _owners[next] = owner;
                next++;
            }
        }

        Array.Sort(_points, _owners);
    }

    /// <summary>Virtual nodes on the ring.</summary>
    public int Count => _points.Length;

    /// <summary>The first eligible destination clockwise from <paramref name="hash"/>, or null when none is.</summary>
    public DestinationState? Find(ulong hash, scoped in SelectionFilter filter)
    {
        if (_points.Length == 0)
        {
            return null;
        }

        var start = Array.BinarySearch(_points, hash);
        if (start < 0)
        {
            start = ~start;
        }

        Span<bool> seen = _destinations.Length <= 256 ? stackalloc bool[_destinations.Length] : new bool[_destinations.Length];
        var seenCount = 0;
        for (var step = 0; step < _points.Length; step++)
        {
            var owner = _owners[(start + step) % _points.Length];
            if (seen[owner])
            {
                continue;
            }

            var destination = _destinations[owner];
            if (filter.IsEligible(destination))
            {
                return destination;
            }

            seen[owner] = true;
            if (++seenCount == _destinations.Length)
            {
                break;
            }
        }

        return null;
    }
}
