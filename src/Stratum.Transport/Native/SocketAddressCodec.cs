using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Stratum.Transport.Native;

/// <summary>IP end points to and from Linux's <c>sockaddr_in</c> and <c>sockaddr_in6</c>.</summary>
internal static class SocketAddressCodec
{
    /// <summary>Large enough for <c>sockaddr_in6</c>.</summary>
    public const int MaxLength = 28;

    public static int Write(IPEndPoint endPoint, Span<byte> destination)
    {
        destination[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(destination, (ushort)LibC.AF_INET);
            endPoint.Address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(destination, (ushort)LibC.AF_INET6);
        endPoint.Address.TryWriteBytes(destination[8..24], out _);
        BitConverter.TryWriteBytes(destination[24..], (uint)endPoint.Address.ScopeId);
        return MaxLength;
    }

    public static IPEndPoint? Read(ReadOnlySpan<byte> address)
    {
        if (address.Length < 16)
        {
            return null;
        }

        var family = BitConverter.ToUInt16(address);
        var port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        if (family == LibC.AF_INET)
        {
            return new IPEndPoint(new IPAddress(address[4..8]), port);
        }

        if (family == LibC.AF_INET6 && address.Length >= MaxLength)
        {
            return new IPEndPoint(new IPAddress(address[8..24], BitConverter.ToUInt32(address[24..])), port);
        }

        return null;
    }
}
