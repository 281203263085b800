using System.Runtime.InteropServices;

namespace Stratum.Transport.Native;

/// <summary>The few Linux system calls the event loop makes itself, through the C library.</summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EINPROGRESS = 115;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_TCP = 6;
    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_KEEPALIVE = 9;
    public const int TCP_NODELAY = 1;
    public const int TCP_KEEPIDLE = 4;
    public const int TCP_KEEPINTVL = 5;
    public const int TCP_KEEPCNT = 6;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epoll, int operation, SafeHandle fd, byte* epollEvent);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeout);

    /// <summary>The CPUs thread <paramref name="tid"/> (0: the calling thread) may run on, as a bit mask.</summary>
    [LibraryImport(Library, EntryPoint = "sched_getaffinity")]
    public static partial int SchedGetAffinity(int tid, nint maskBytes, ulong* mask);

    [LibraryImport(Library, EntryPoint = "sched_setaffinity")]
    public static partial int SchedSetAffinity(int tid, nint maskBytes, ulong* mask);

    // glibc's recv and send are cancellation points: each call turns asynchronous cancellation on and off around the
    // system call, about 1 % of the proxy's CPU under load. Nothing here cancels threads, so on x86-64 the system
    // calls go through syscall(2), which does neither.
    private const nint SYS_sendto = 44;
    private const nint SYS_recvfrom = 45;
    private static readonly bool s_directSyscalls = RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static nint Receive(SafeHandle fd, byte* buffer, nint length, int flags) =>
        s_directSyscalls ? Syscall(SYS_recvfrom, fd, buffer, length, flags, 0, 0) : LibcReceive(fd, buffer, length, flags);

    public static nint Send(SafeHandle fd, byte* buffer, nint length, int flags) =>
        s_directSyscalls ? Syscall(SYS_sendto, fd, buffer, length, flags, 0, 0) : LibcSend(fd, buffer, length, flags);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, SafeHandle fd, byte* buffer, nint length, nint flags, nint address, nint addressLength);

    // On a descriptor its caller holds open (a reference on its handle for as long as it calls): no reference
    // counting per call, no switch of the thread's GC mode (a non-blocking receive or send returns at once), and
    // errno read only when the call failed, right after it, with no managed code in between that could change it.

    public static nint Receive(int fd, byte* buffer, nint length, int flags, out int errno) =>
        Checked(s_directSyscalls ? HeldSyscall(SYS_recvfrom, fd, buffer, length, flags, 0, 0) : HeldReceive(fd, buffer, length, flags), out errno);

    public static nint Send(int fd, byte* buffer, nint length, int flags, out int errno) =>
        Checked(s_directSyscalls ? HeldSyscall(SYS_sendto, fd, buffer, length, flags, 0, 0) : HeldSend(fd, buffer, length, flags), out errno);

    private static nint Checked(nint result, out int errno)
    {
        errno = result < 0 ? Marshal.GetLastSystemError() : 0;
        return result;
    }

    [LibraryImport(Library, EntryPoint = "syscall")]
    [SuppressGCTransition]
    private static partial nint HeldSyscall(nint number, nint fd, byte* buffer, nint length, nint flags, nint address, nint addressLength);

    [LibraryImport(Library, EntryPoint = "recv")]
    [SuppressGCTransition]
    private static partial nint HeldReceive(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "send")]
    [SuppressGCTransition]
    private static partial nint HeldSend(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    private static partial nint LibcReceive(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    private static partial nint LibcSend(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept(SafeHandle fd, byte* address, int* addressLength, int flags);

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(SafeHandle fd, byte* address, int addressLength);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSocketOption(SafeHandle fd, int level, int name, int* value, int* length);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSocketOption(SafeHandle fd, int level, int name, int* value, int length);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSocketName(SafeHandle fd, byte* address, int* addressLength);

    [LibraryImport(Library, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(SafeHandle fd, byte* address, int* addressLength);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(SafeHandle fd, int how);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport(Library, EntryPoint = "read")]
    public static partial nint Read(SafeHandle fd, byte* buffer, nint length);

    [LibraryImport(Library, EntryPoint = "write")]
    public static partial nint Write(SafeHandle fd, byte* buffer, nint length);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(SafeHandle fd, int command, int argument);
}
