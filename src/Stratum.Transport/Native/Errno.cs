using System.Net.Sockets;

namespace Stratum.Transport.Native;

/// <summary>Linux error numbers of socket calls as the runtime's <see cref="SocketError"/> values.</summary>
internal static class Errno
{
    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        LibC.EAGAIN => SocketError.WouldBlock,
        LibC.EINPROGRESS => SocketError.InProgress,
        LibC.EINTR => SocketError.Interrupted,
        9 => SocketError.OperationAborted, // EBADF: closed under the call
        12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
        13 or 1 => SocketError.AccessDenied, // EACCES, EPERM
        23 or 24 => SocketError.TooManyOpenSockets, // ENFILE, EMFILE
        32 => SocketError.Shutdown, // EPIPE
        98 => SocketError.AddressAlreadyInUse,
        99 => SocketError.AddressNotAvailable,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        112 => SocketError.HostDown,
        113 => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };
}
