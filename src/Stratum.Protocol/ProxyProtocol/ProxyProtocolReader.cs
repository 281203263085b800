using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Stratum.Protocol.ProxyProtocol;

/// <summary>
/// Parses PROXY protocol v1 and v2 headers (HAProxy's <c>proxy-protocol.txt</c>) from the start of a stream.
/// Pure: no transport; the caller advances its reader past the consumed bytes.
/// </summary>
public static class ProxyProtocolReader
{
    /// <summary>Longest v1 header, CRLF included (spec section 2.1).</summary>
    public const int MaxV1Length = 107;

    /// <summary>The 12-byte v2 signature.</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>
    /// Reads one header from <paramref name="buffer"/>. On <see cref="ProxyHeaderStatus.Complete"/>,
    /// <paramref name="consumed"/> is the header's length in bytes.
    /// </summary>
    public static ProxyHeaderStatus TryRead(in ReadOnlySequence<byte> buffer, out ProxyHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        if (buffer.IsEmpty)
        {
            return ProxyHeaderStatus.NeedMoreData;
        }

        Span<byte> head = stackalloc byte[16];
        var headLength = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, headLength).CopyTo(head);
        head = head[..headLength];

        if (head[0] == V2Signature[0])
        {
            return TryReadV2(buffer, head, out header, out consumed);
        }

        if (head[0] == (byte)'P')
        {
            return TryReadV1(buffer, head, out header, out consumed);
        }

        return ProxyHeaderStatus.Invalid;
    }

    private static ProxyHeaderStatus TryReadV1(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head, out ProxyHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        var prefixLength = Math.Min(head.Length, V1Prefix.Length);
        if (!head[..prefixLength].SequenceEqual(V1Prefix[..prefixLength]))
        {
            return ProxyHeaderStatus.Invalid;
        }

        var window = buffer.Slice(0, Math.Min(buffer.Length, MaxV1Length));
        var newline = window.PositionOf((byte)'\n');
        if (newline is null)
        {
            return window.Length >= MaxV1Length ? ProxyHeaderStatus.Invalid : ProxyHeaderStatus.NeedMoreData;
        }

        Span<byte> line = stackalloc byte[MaxV1Length];
        var lineSequence = window.Slice(0, newline.Value);
        var length = (int)lineSequence.Length;
        lineSequence.CopyTo(line);
        if (length < 1 || line[length - 1] != (byte)'\r')
        {
            return ProxyHeaderStatus.Invalid;
        }

        if (!TryParseV1Fields(line[..(length - 1)], out header))
        {
            return ProxyHeaderStatus.Invalid;
        }

        consumed = length + 1;
        return ProxyHeaderStatus.Complete;
    }

    private static bool TryParseV1Fields(ReadOnlySpan<byte> line, out ProxyHeader header)
    {
        header = default;
        Span<Range> parts = stackalloc Range[7];
        var count = SplitOnSpaces(line, parts);
        if (count < 2 || !line[parts[0]].SequenceEqual("PROXY"u8))
        {
            return false;
        }

        var protocol = line[parts[1]];
        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            header = new ProxyHeader(1, null, null);
            return true;
        }

        var family = protocol.SequenceEqual("TCP4"u8) ? System.Net.Sockets.AddressFamily.InterNetwork
            : protocol.SequenceEqual("TCP6"u8) ? System.Net.Sockets.AddressFamily.InterNetworkV6
            : System.Net.Sockets.AddressFamily.Unknown;
        if (family == System.Net.Sockets.AddressFamily.Unknown || count != 6)
        {
            return false;
        }

        if (!TryParseAddress(line[parts[2]], family, out var source)
            || !TryParseAddress(line[parts[3]], family, out var destination)
            || !TryParsePort(line[parts[4]], out var sourcePort)
            || !TryParsePort(line[parts[5]], out var destinationPort))
        {
            return false;
        }

        header = new ProxyHeader(1, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
        return true;
    }

    /// <summary>Splits on single spaces; more fields than <paramref name="parts"/> holds count as too many.</summary>
    private static int SplitOnSpaces(ReadOnlySpan<byte> line, Span<Range> parts)
    {
        var count = 0;
        var start = 0;
        for (var i = 0; i <= line.Length; i++)
        {
            if (i < line.Length && line[i] != (byte)' ')
            {
                continue;
            }

            if (count == parts.Length)
            {
                return count + 1;
            }

            parts[count++] = new Range(start, i);
            start = i + 1;
        }

        return count;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, System.Net.Sockets.AddressFamily family, out IPAddress address)
    {
        Span<char> chars = stackalloc char[64];
        if (text.IsEmpty || text.Length > chars.Length)
        {
            address = IPAddress.None;
            return false;
        }

        var written = Encoding.ASCII.GetChars(text, chars);
        if (!IPAddress.TryParse(chars[..written], out var parsed) || parsed.AddressFamily != family)
        {
            address = IPAddress.None;
            return false;
        }

        address = parsed;
        return true;
    }

    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;
        if (text.IsEmpty || text.Length > 5 || (text.Length > 1 && text[0] == (byte)'0'))
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            port = (port * 10) + (b - '0');
        }

        return port <= IPEndPoint.MaxPort;
    }

    private static ProxyHeaderStatus TryReadV2(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head, out ProxyHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        var signatureLength = Math.Min(head.Length, V2Signature.Length);
        if (!head[..signatureLength].SequenceEqual(V2Signature[..signatureLength]))
        {
            return ProxyHeaderStatus.Invalid;
        }

        if (head.Length < 16)
        {
            return ProxyHeaderStatus.NeedMoreData;
        }

        var versionCommand = head[12];
        if ((versionCommand & 0xF0) != 0x20)
        {
            return ProxyHeaderStatus.Invalid;
        }

        var command = versionCommand & 0x0F;
        if (command > 1)
        {
            return ProxyHeaderStatus.Invalid;
        }

        var familyProtocol = head[13];
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(head[14..16]);
        var total = 16 + payloadLength;
        if (buffer.Length < total)
        {
            return ProxyHeaderStatus.NeedMoreData;
        }

        consumed = total;
        if (command == 0)
        {
            // LOCAL: the balancer talking for itself; addresses, if any, are ignored by the spec.
            header = new ProxyHeader(2, null, null);
            return ProxyHeaderStatus.Complete;
        }

        var family = familyProtocol >> 4;
        var transport = familyProtocol & 0x0F;
        Span<byte> addresses = stackalloc byte[36];
        switch (family)
        {
            case 0x1 when payloadLength >= 12 && transport is 1 or 2:
                buffer.Slice(16, 12).CopyTo(addresses);
                header = new ProxyHeader(
                    2,
                    new IPEndPoint(new IPAddress(addresses[..4]), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..10])),
                    new IPEndPoint(new IPAddress(addresses[4..8]), BinaryPrimitives.ReadUInt16BigEndian(addresses[10..12])));
                return ProxyHeaderStatus.Complete;
            case 0x2 when payloadLength >= 36 && transport is 1 or 2:
                buffer.Slice(16, 36).CopyTo(addresses);
                header = new ProxyHeader(
                    2,
                    new IPEndPoint(new IPAddress(addresses[..16]), BinaryPrimitives.ReadUInt16BigEndian(addresses[32..34])),
                    new IPEndPoint(new IPAddress(addresses[16..32]), BinaryPrimitives.ReadUInt16BigEndian(addresses[34..36])));
                return ProxyHeaderStatus.Complete;
            case 0x0:
                // UNSPEC: keep the connection's own addresses.
                header = new ProxyHeader(2, null, null);
                return ProxyHeaderStatus.Complete;
            default:
                consumed = 0;
                return ProxyHeaderStatus.Invalid;
        }
    }
}
