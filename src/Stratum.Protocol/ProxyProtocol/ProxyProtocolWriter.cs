using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Stratum.Protocol.ProxyProtocol;

/// <summary>Writes PROXY protocol headers telling a backend who the real client is.</summary>
public static class ProxyProtocolWriter
{
    /// <summary>Writes a v1 (text) header. Mixed families are sent as IPv6 with IPv4-mapped addresses.</summary>
    public static int WriteV1(IBufferWriter<byte> writer, IPEndPoint source, IPEndPoint destination)
    {
        var (src, dst) = Normalize(source.Address, destination.Address);
        var family = src.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        var text = $"PROXY {family} {src} {dst} {source.Port} {destination.Port}\r\n";
        var span = writer.GetSpan(ProxyProtocolReader.MaxV1Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        writer.Advance(written);
        return written;
    }

    /// <summary>Writes a v2 (binary) PROXY/TCP header with no TLVs.</summary>
    public static int WriteV2(IBufferWriter<byte> writer, IPEndPoint source, IPEndPoint destination)
    {
        var (src, dst) = Normalize(source.Address, destination.Address);
        var isV4 = src.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = isV4 ? 12 : 36;
        var total = 16 + addressLength;
        var span = writer.GetSpan(total);
        ProxyProtocolReader.V2Signature.CopyTo(span);
        span[12] = 0x21; // version 2, PROXY
        span[13] = isV4 ? (byte)0x11 : (byte)0x21; // TCP over IPv4 / IPv6
        BinaryPrimitives.WriteUInt16BigEndian(span[14..16], (ushort)addressLength);
        var ipLength = isV4 ? 4 : 16;
        src.TryWriteBytes(span.Slice(16, ipLength), out _);
        dst.TryWriteBytes(span.Slice(16 + ipLength, ipLength), out _);
        BinaryPrimitives.WriteUInt16BigEndian(span.Slice(16 + (2 * ipLength), 2), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(span.Slice(18 + (2 * ipLength), 2), (ushort)destination.Port);
        writer.Advance(total);
        return total;
    }

    private static (IPAddress Source, IPAddress Destination) Normalize(IPAddress source, IPAddress destination)
    {
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        if (destination.IsIPv4MappedToIPv6)
        {
            destination = destination.MapToIPv4();
        }

        if (source.AddressFamily == destination.AddressFamily)
        {
            return (source, destination);
        }

        return (source.MapToIPv6(), destination.MapToIPv6());
    }
}
