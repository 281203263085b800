using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace StratumProxy.Tls;

/// <summary>What the TLS path needs from a ClientHello before the handshake starts: SNI and offered ALPN protocols.</summary>
public sealed record ClientHelloInfo(string? ServerName, IReadOnlyList<string> ApplicationProtocols)
{
    public bool Offers(string protocol) => ApplicationProtocols.Contains(protocol, StringComparer.Ordinal);
}

public enum ClientHelloParseStatus
{
    /// <summary>More bytes are needed.</summary>
    Incomplete,

    Parsed,

    /// <summary>Not a TLS ClientHello (or one too large to sniff); leave it to the handshake to fail or succeed.</summary>
    NotClientHello,
}

/// <summary>
/// Reads a TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) from the first bytes of a connection without
/// consuming them, reassembling the handshake message across records. Pure: no transport inside.
/// </summary>
public static class ClientHelloParser
{
    public const int MaxClientHelloBytes = 32 * 1024;

    private const byte HandshakeRecord = 0x16;
    private const byte ClientHelloType = 0x01;
    private const ushort ServerNameExtension = 0x0000;
    private const ushort AlpnExtension = 0x0010;

    public static ClientHelloParseStatus TryParse(ReadOnlySequence<byte> input, out ClientHelloInfo? info)
    {
        info = null;
        var reader = new SequenceReader<byte>(input);
        var handshake = new ArrayBufferWriter<byte>();
        var needed = -1;
        while (needed < 0 || handshake.WrittenCount < needed)
        {
            if (reader.Remaining < 5)
            {
                return ClientHelloParseStatus.Incomplete;
            }

            reader.TryRead(out var contentType);
            reader.TryRead(out var majorVersion);
            reader.Advance(1);
            reader.TryReadBigEndian(out short recordLengthSigned);
            var recordLength = (ushort)recordLengthSigned;
            if (contentType != HandshakeRecord || majorVersion != 3 || recordLength == 0)
            {
                return ClientHelloParseStatus.NotClientHello;
            }

            if (reader.Remaining < recordLength)
            {
                return ClientHelloParseStatus.Incomplete;
            }

            var fragment = input.Slice(reader.Position, recordLength);
            foreach (var segment in fragment)
            {
                handshake.Write(segment.Span);
            }

            reader.Advance(recordLength);
            if (needed < 0 && handshake.WrittenCount >= 4)
            {
                var header = handshake.WrittenSpan;
                if (header[0] != ClientHelloType)
                {
                    return ClientHelloParseStatus.NotClientHello;
                }

                needed = 4 + ((header[1] << 16) | (header[2] << 8) | header[3]);
                if (needed > MaxClientHelloBytes)
                {
                    return ClientHelloParseStatus.NotClientHello;
                }
            }
        }

        info = ParseBody(handshake.WrittenSpan[4..needed]);
        return info is null ? ClientHelloParseStatus.NotClientHello : ClientHelloParseStatus.Parsed;
    }

    private static ClientHelloInfo? ParseBody(ReadOnlySpan<byte> body)
    {
        // legacy_version (2), random (32)
        if (!Skip(ref body, 34) || !SkipVector(ref body, 1) || !SkipVector(ref body, 2) || !SkipVector(ref body, 1))
        {
            return null;
        }

        string? serverName = null;
        var protocols = new List<string>();
        if (body.IsEmpty)
        {
            return new ClientHelloInfo(null, protocols);
        }

        if (!TryReadVector(ref body, 2, out var extensions))
        {
            return null;
        }

        while (extensions.Length >= 4)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(extensions);
            extensions = extensions[2..];
            if (!TryReadVector(ref extensions, 2, out var data))
            {
                return null;
            }

            if (type == ServerNameExtension && TryReadVector(ref data, 2, out var names))
            {
                while (names.Length >= 3)
                {
                    var nameType = names[0];
                    names = names[1..];
                    if (!TryReadVector(ref names, 2, out var name))
                    {
                        break;
                    }

                    if (nameType == 0 && serverName is null)
                    {
                        serverName = Encoding.ASCII.GetString(name);
                    }
                }
            }
            else if (type == AlpnExtension && TryReadVector(ref data, 2, out var list))
            {
                while (!list.IsEmpty && TryReadVector(ref list, 1, out var protocol))
                {
                    protocols.Add(Encoding.ASCII.GetString(protocol));
                }
            }
        }

        return new ClientHelloInfo(serverName, protocols);
    }

    private static bool Skip(ref ReadOnlySpan<byte> span, int count)
    {
        if (span.Length < count)
        {
            return false;
        }

        span = span[count..];
        return true;
    }

    private static bool SkipVector(ref ReadOnlySpan<byte> span, int lengthBytes) => TryReadVector(ref span, lengthBytes, out _);

    private static bool TryReadVector(ref ReadOnlySpan<byte> span, int lengthBytes, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (span.Length < lengthBytes)
        {
            return false;
        }

        var length = lengthBytes == 1 ? span[0] : BinaryPrimitives.ReadUInt16BigEndian(span);
        if (span.Length < lengthBytes + length)
        {
            return false;
        }

        vector = span.Slice(lengthBytes, length);
        span = span[(lengthBytes + length)..];
        return true;
    }
}
