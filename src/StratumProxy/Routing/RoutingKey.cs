using System.Buffers;
using System.IO.Hashing;
using System.Net;
using System.Text;
using StratumProxy.Configuration;

namespace StratumProxy.Routing;

/// <summary>
/// What the <c>Hash</c> policy hashes for one session, reduced to a 64-bit XxHash64 up front so policies never
/// see the raw key. Other policies ignore it.
/// </summary>
public readonly struct RoutingKey
{
    private RoutingKey(ulong hash)
    {
        Hash = hash;
        HasValue = true;
    }

    /// <summary>No key: the <c>Hash</c> policy then falls back to the first available destination on the ring.</summary>
    public static RoutingKey None => default;

    public bool HasValue { get; }

    public ulong Hash { get; }

    /// <summary>The key for <paramref name="kind"/>: the client's address bytes or the worker name.</summary>
    public static RoutingKey For(HashKeyKind kind, IPAddress? clientAddress, string? worker) => kind switch
    {
        HashKeyKind.Worker when worker is not null => FromWorker(worker),
        HashKeyKind.ClientIp when clientAddress is not null => FromClientAddress(clientAddress),
        _ => None,
    };

    /// <summary>Hashes the address bytes; an IPv4-mapped IPv6 address hashes as its IPv4 form.</summary>
    public static RoutingKey FromClientAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("Address does not fit in 16 bytes.", nameof(address));
        }

        return FromBytes(bytes[..written]);
    }

    /// <summary>Hashes raw key bytes (an address as read from a PROXY header, say).</summary>
    public static RoutingKey FromBytes(ReadOnlySpan<byte> key) => new(XxHash64.HashToUInt64(key));

    /// <summary>Hashes the worker name as UTF-8, case-sensitively (pools treat worker names as such).</summary>
    public static RoutingKey FromWorker(string worker) => FromWorker(worker.AsSpan());

    public static RoutingKey FromWorker(ReadOnlySpan<char> worker)
    {
        var max = Encoding.UTF8.GetMaxByteCount(worker.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(worker, buffer);
            return FromBytes(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
