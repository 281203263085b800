using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Stratum.Transport.Native;

namespace Stratum.Transport.EventLoop;

/// <summary>
/// One thread waiting in <c>epoll_wait</c> for the sockets registered with it. Each socket is registered once,
/// edge-triggered, for both directions; an event only tells the socket it may read or write again and wakes what
/// waits on it, which runs right here when the socket's completions are inline. Unlike the runtime's socket
/// engine, nothing here tries a receive before it waits, so a line costs one <c>recv</c>, not two. Work posted from
/// other threads (<see cref="Post"/>) runs here too, after the events of the wake that found it.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;

    // The token of the loop's own eventfd: index uint.MaxValue is never a socket's.
    private const ulong WakeToken = ulong.MaxValue;

    // struct epoll_event is packed on x86 and x86-64 only.
    private static readonly bool s_packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    private static readonly int s_eventSize = s_packed ? 12 : 16;
    private static readonly int s_dataOffset = s_packed ? 4 : 8;

    private readonly int _epoll;
    private readonly int _number;
    private readonly Lock _gate = new();
    private EpollSocket?[] _sockets = new EpollSocket?[256];
    private uint[] _generations = new uint[256];
    private int[] _free = new int[256];
    private int _freeCount;
    private int _used;
    private long _wakeups;
    private readonly FileDescriptorHandle _wake;
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _posted = new();
    private int _wakePending;

    public EpollLoop(int number)
    {
        _epoll = LibC.EpollCreate(LibC.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new SocketException((int)Errno.ToSocketError(Marshal.GetLastPInvokeError()));
        }

        var wake = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (wake < 0)
        {
            throw new SocketException((int)Errno.ToSocketError(Marshal.GetLastPInvokeError()));
        }

        _wake = new FileDescriptorHandle(wake);
        if (Register(_wake, LibC.EPOLLIN | LibC.EPOLLET, WakeToken) is var error and not 0)
        {
            throw new SocketException((int)Errno.ToSocketError(error));
        }

        _number = number;
        var thread = new Thread(Run) { IsBackground = true, Name = "Socket loop " + number };
        thread.UnsafeStart();
    }

    /// <summary>How many times <c>epoll_wait</c> has returned with events: it stops moving while nothing is relayed.</summary>
    public long Wakeups => Volatile.Read(ref _wakeups);

    /// <summary>This loop's place in the group, from 0.</summary>
    public int Number => _number;

    /// <summary>
    /// Runs <paramref name="work"/> on this loop's thread, after the events it is handling: one write to an eventfd
    /// wakes the loop however many items are posted before it drains them.
    /// </summary>
    public void Post(Action<object?> work, object? state)
    {
        _posted.Enqueue((work, state));
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            LibC.Write(_wake, (byte*)&one, sizeof(ulong));
        }
    }

    /// <summary>Registers <paramref name="socket"/> for readable and writable edges and sets its token.</summary>
    public void Add(EpollSocket socket, SafeHandle handle)
    {
        ulong token;
        lock (_gate)
        {
            int index;
            if (_freeCount > 0)
            {
                index = _free[--_freeCount];
            }
            else
            {
                if (_used == _sockets.Length)
                {
                    Array.Resize(ref _generations, _used * 2);
                    Array.Resize(ref _free, _used * 2);
                    var larger = new EpollSocket?[_used * 2];
                    Array.Copy(_sockets, larger, _used);
                    Volatile.Write(ref _sockets, larger);
                }

                index = _used++;
            }

            token = ((ulong)++_generations[index] << 32) | (uint)index;
            socket.Token = token;
            _sockets[index] = socket;
        }

        if (Register(handle, LibC.EPOLLIN | LibC.EPOLLOUT | LibC.EPOLLRDHUP | LibC.EPOLLET, token) is var error and not 0)
        {
            Remove(socket);
            throw new SocketException((int)Errno.ToSocketError(error));
        }
    }

    /// <summary>Adds <paramref name="handle"/> to the epoll set for <paramref name="events"/>, tagged <paramref name="token"/>; the errno, or 0.</summary>
    private int Register(SafeHandle handle, uint events, ulong token)
    {
        var registration = stackalloc byte[16];
        *(uint*)registration = events;
        Unsafe.WriteUnaligned(registration + s_dataOffset, token);
        return LibC.EpollControl(_epoll, LibC.EPOLL_CTL_ADD, handle, registration) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Takes <paramref name="socket"/> off this loop, for another loop to add it.</summary>
    public void Delete(EpollSocket socket, SafeHandle handle)
    {
        Remove(socket);
        if (LibC.EpollControl(_epoll, LibC.EPOLL_CTL_DEL, handle, null) != 0)
        {
            throw new SocketException((int)Errno.ToSocketError(Marshal.GetLastPInvokeError()));
        }
    }

    /// <summary>
    /// Forgets <paramref name="socket"/>: events still queued for it are dropped. The kernel drops the registration
    /// itself when the descriptor closes.
    /// </summary>
    public void Remove(EpollSocket socket)
    {
        lock (_gate)
        {
            var index = (int)(uint)socket.Token;
            if (index < _used && ReferenceEquals(_sockets[index], socket))
            {
                _sockets[index] = null;
                _free[_freeCount++] = index;
            }
        }
    }

    private void Run()
    {
        EventLoopThread.Enter(_number);
        LoopAffinity.TryPin(_number);
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * s_eventSize));
        while (true)
        {
            var count = LibC.EpollWait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                // EINTR (a debugger or a signal); anything else would be a bad descriptor, which this loop never closes.
                continue;
            }

            // Only this thread writes it; a reader elsewhere needs no more than a value that moves.
            _wakeups++;
            var woken = false;
            for (var i = 0; i < count; i++)
            {
                var entry = events + (i * s_eventSize);
                var flags = *(uint*)entry;
                var token = Unsafe.ReadUnaligned<ulong>(entry + s_dataOffset);
                if (token == WakeToken)
                {
                    woken = true;
                    continue;
                }

                var index = (int)(uint)token;

                // Read for every event: a socket added after the table grew is only in the new table.
                var sockets = Volatile.Read(ref _sockets);
                var socket = (uint)index < (uint)sockets.Length ? sockets[index] : null;
                if (socket is null || socket.Token != token)
                {
                    continue;
                }

                try
                {
                    socket.OnEvents(flags);
                }
                catch (Exception ex)
                {
                    // What runs here is the continuation of an awaiting method, which keeps its own exceptions. One
                    // that escapes is a bug; as on any other thread, it ends the process rather than leave every
                    // socket of this loop without events.
                    Environment.FailFast("A socket continuation threw on the event loop.", ex);
                }
            }

            if (woken)
            {
                RunPosted();
            }
        }
    }

    private void RunPosted()
    {
        ulong value;
        LibC.Read(_wake, (byte*)&value, sizeof(ulong));

        // Cleared before draining: an item posted from here on writes the eventfd again, so none waits unseen.
        Volatile.Write(ref _wakePending, 0);
        while (_posted.TryDequeue(out var item))
        {
            try
            {
                item.Work(item.State);
            }
            catch (Exception ex)
            {
                Environment.FailFast("Work posted to an event loop threw.", ex);
            }
        }
    }
}
