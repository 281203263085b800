using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Stratum.Transport.Native;

namespace Stratum.Transport.EventLoop;

/// <summary>
/// A non-blocking TCP socket on one of the process's event loops. Reads and writes are plain system calls made
/// when the caller asks; the loop only says when the socket may be read or written again. Readiness is tracked
/// as nginx does with edge-triggered epoll: a receive that fills less than the buffer took everything there was,
/// so the next read waits for the next event instead of asking the kernel and hearing <c>EAGAIN</c>.
/// </summary>
/// <remarks>
/// One reader and one writer at a time, as for a pipe. What waits on the socket is woken on the loop's thread when
/// completions are inline (the proxy: nothing on its forwarding path blocks), otherwise on the thread pool.
/// </remarks>
public sealed class EpollSocket : IDisposable
{
    private readonly SafeHandle _handle;
    private readonly bool _ownsHandle;
    private volatile bool _inlineCompletions;
    private EpollLoop _loop;

    // Readiness: the loop counts events; a direction is ready while its count differs from the count seen by
    // the last call that found it empty (read) or full (write). Set before the call, so an event that arrives
    // during it is not lost. A new socket waits for its first readable event (registering reports data already
    // queued) but may send at once.
    private int _readEvents;
    private int _readDrainedAt;
    private int _writeEvents = 1;
    private int _writeBlockedAt;
    private IReadinessWaiter? _readWaiter;
    private IReadinessWaiter? _writeWaiter;
    private ReadinessSource? _readSource;
    private ReadinessSource? _writeSource;
    private int _disposed;

    // The descriptor while its owner holds it open (HoldDescriptor), else -1.
    private int _heldDescriptor = -1;

    // Set by a hang-up or error event: the edge that announced the end was taken already, so receives go on
    // until they see it (end of stream or error) rather than wait for an event that will not come.
    private volatile bool _peerClosed;

    private EpollSocket(SafeHandle handle, bool ownsHandle, bool inlineCompletions, EpollLoop loop)
    {
        _handle = handle;
        _ownsHandle = ownsHandle;
        _inlineCompletions = inlineCompletions;
        _loop = loop;
    }

    /// <summary>The loop the socket's events arrive on; it changes when the socket moves to another's loop.</summary>
    internal EpollLoop Loop => Volatile.Read(ref _loop);

    /// <summary>
    /// Whether what waits on the socket is woken right on the loop's thread (true) or on the thread pool. A phase
    /// that spends CPU in bursts, such as a TLS handshake, belongs on the pool: the loop's thread may be pinned to
    /// its CPU, and every other session of the loop would wait behind the burst.
    /// </summary>
    public bool InlineCompletions
    {
        get => _inlineCompletions;
        set => _inlineCompletions = value;
    }

    /// <summary>The loop's registration of this socket (slot and generation).</summary>
    internal ulong Token { get; set; }

    /// <summary>True when an event arrived since the last receive or accept that found nothing.</summary>
    internal bool IsReadable => Volatile.Read(ref _readEvents) != _readDrainedAt;

    /// <summary>True unless a send found the socket full and no event said it has room again.</summary>
    internal bool IsWritable => Volatile.Read(ref _writeEvents) != _writeBlockedAt;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Puts a listening socket the runtime opened on a loop, so accepts wait for its events.</summary>
    internal static EpollSocket ForListener(Socket listener)
    {
        var handle = listener.SafeHandle;
        if (LibC.Fcntl(handle, LibC.F_SETFL, LibC.Fcntl(handle, LibC.F_GETFL, 0) | LibC.O_NONBLOCK) != 0)
        {
            throw LastError();
        }

        var socket = new EpollSocket(handle, ownsHandle: false, inlineCompletions: false, EpollLoopGroup.ForOpened());
        socket._loop.Add(socket, handle);
        return socket;
    }

    /// <summary>
    /// Accepts one pending connection of this listening socket; null with <see cref="SocketError.WouldBlock"/> when
    /// none is queued (wait with <see cref="WaitReadableAsync"/>).
    /// </summary>
    internal unsafe EpollSocket? Accept(bool inlineCompletions, out IPEndPoint? remote, out SocketError error)
    {
        var address = stackalloc byte[SocketAddressCodec.MaxLength];
        while (true)
        {
            var seen = Volatile.Read(ref _readEvents);
            var length = SocketAddressCodec.MaxLength;
            int descriptor;
            try
            {
                descriptor = LibC.Accept(_handle, address, &length, LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC);
            }
            catch (ObjectDisposedException)
            {
                remote = null;
                error = SocketError.OperationAborted;
                return null;
            }

            if (descriptor < 0)
            {
                error = Errno.ToSocketError(Marshal.GetLastPInvokeError());
                if (error == SocketError.Interrupted)
                {
                    continue;
                }

                if (error == SocketError.WouldBlock)
                {
                    _readDrainedAt = seen;
                }

                remote = null;
                return null;
            }

            var accepted = new EpollSocket(new FileDescriptorHandle(descriptor), ownsHandle: true, inlineCompletions, EpollLoopGroup.ForAccepted());
            remote = SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, length));
            try
            {
                accepted.SetOption(LibC.IPPROTO_TCP, LibC.TCP_NODELAY, 1);
                accepted._loop.Add(accepted, accepted._handle);
            }
            catch (SocketException ex)
            {
                accepted.Dispose();
                error = ex.SocketErrorCode;
                return null;
            }

            error = SocketError.Success;
            return accepted;
        }
    }

    /// <summary>
    /// Opens a TCP connection to <paramref name="remote"/>; <paramref name="configure"/> sets options before the
    /// first segment. Throws <see cref="SocketException"/> as the runtime's sockets do, and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public static async ValueTask<EpollSocket> ConnectAsync(IPEndPoint remote, Action<EpollSocket>? configure, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var family = remote.AddressFamily == AddressFamily.InterNetwork ? LibC.AF_INET : LibC.AF_INET6;
        var descriptor = LibC.Socket(family, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, LibC.IPPROTO_TCP);
        if (descriptor < 0)
        {
            throw LastError();
        }

        var socket = new EpollSocket(new FileDescriptorHandle(descriptor), ownsHandle: true, inlineCompletions: true, EpollLoopGroup.ForOpened());
        try
        {
            configure?.Invoke(socket);
            var pending = socket.StartConnect(remote);

            // Registered only once the connect is under way: a socket that is not connecting reports itself
            // writable, which would end the wait below at once.
            socket._loop.Add(socket, socket._handle);
            if (pending)
            {
                using (cancellationToken.UnsafeRegister(static state => ((EpollSocket)state!).Dispose(), socket))
                {
                    await socket.WaitWritableAsync().ConfigureAwait(false);
                }

                // The wait's source would keep this method's state for the socket's life; writes rarely wait.
                socket._writeSource = null;

                cancellationToken.ThrowIfCancellationRequested();
                ObjectDisposedException.ThrowIf(socket.IsDisposed, socket);
                var error = socket.GetOption(LibC.SOL_SOCKET, LibC.SO_ERROR);
                if (error != 0)
                {
                    throw new SocketException((int)Errno.ToSocketError(error));
                }
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True when the connect goes on in the background (<c>EINPROGRESS</c>).</summary>
    private unsafe bool StartConnect(IPEndPoint remote)
    {
        var address = stackalloc byte[SocketAddressCodec.MaxLength];
        var length = SocketAddressCodec.Write(remote, new Span<byte>(address, SocketAddressCodec.MaxLength));
        if (LibC.Connect(_handle, address, length) == 0)
        {
            return false;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno != LibC.EINPROGRESS)
        {
            throw new SocketException((int)Errno.ToSocketError(errno));
        }

        // Not writable until the handshake ends: the first writable event (or an error) says it has.
        _writeBlockedAt = _writeEvents;
        return true;
    }

    /// <summary>
    /// Moves this socket to the event loop of <paramref name="other"/>, so one thread serves both sockets of a
    /// session: a request and its answer then wake one loop, not two, and both directions run in order on one
    /// core as in nginx's workers. Call it before anything waits on this socket.
    /// </summary>
    public void MoveToLoopOf(EpollSocket other)
    {
        var target = other._loop;
        if (ReferenceEquals(target, _loop) || IsDisposed)
        {
            return;
        }

        _loop.Delete(this, _handle);
        _loop = target;
        target.Add(this, _handle);
    }

    public IPEndPoint? LocalEndPoint => GetName(peer: false);

    public IPEndPoint? RemoteEndPoint => GetName(peer: true);

    public bool NoDelay => GetOption(LibC.IPPROTO_TCP, LibC.TCP_NODELAY) != 0;

    /// <summary>TCP keepalive as the kernel holds it: on or off, idle time and interval (seconds), probes.</summary>
    public (bool Enabled, int TimeSeconds, int IntervalSeconds, int RetryCount) KeepAlive =>
        (GetOption(LibC.SOL_SOCKET, LibC.SO_KEEPALIVE) != 0,
         GetOption(LibC.IPPROTO_TCP, LibC.TCP_KEEPIDLE),
         GetOption(LibC.IPPROTO_TCP, LibC.TCP_KEEPINTVL),
         GetOption(LibC.IPPROTO_TCP, LibC.TCP_KEEPCNT));

    public void SetNoDelay(bool noDelay) => SetOption(LibC.IPPROTO_TCP, LibC.TCP_NODELAY, noDelay ? 1 : 0);

    /// <summary>TCP keepalive with its timers (seconds), so a peer that vanished without a FIN is noticed.</summary>
    public void SetKeepAlive(int timeSeconds, int intervalSeconds, int retryCount)
    {
        SetOption(LibC.SOL_SOCKET, LibC.SO_KEEPALIVE, 1);
        SetOption(LibC.IPPROTO_TCP, LibC.TCP_KEEPIDLE, timeSeconds);
        SetOption(LibC.IPPROTO_TCP, LibC.TCP_KEEPINTVL, intervalSeconds);
        SetOption(LibC.IPPROTO_TCP, LibC.TCP_KEEPCNT, retryCount);
    }

    /// <summary>
    /// Receives into <paramref name="buffer"/>: the bytes received (0 at the peer's end of stream), or -1 with
    /// <paramref name="error"/> set; <see cref="SocketError.WouldBlock"/> means wait for the next event.
    /// </summary>
    public unsafe int Receive(Span<byte> buffer, out SocketError error)
    {
        fixed (byte* data = buffer)
        {
            return Transfer(data, buffer.Length, receive: true, out error);
        }
    }

    /// <summary>Sends what the socket takes now: the bytes sent, or -1 with <paramref name="error"/> set.</summary>
    public unsafe int Send(ReadOnlySpan<byte> data, out SocketError error)
    {
        fixed (byte* bytes = data)
        {
            return Transfer(bytes, data.Length, receive: false, out error);
        }
    }

    private unsafe int Transfer(byte* data, int length, bool receive, out SocketError error)
    {
        while (true)
        {
            var seen = Volatile.Read(ref receive ? ref _readEvents : ref _writeEvents);
            nint done;
            int errno;
            var held = _heldDescriptor;
            if (held >= 0)
            {
                if (IsDisposed)
                {
                    error = SocketError.OperationAborted;
                    return -1;
                }

                done = receive ? LibC.Receive(held, data, length, 0, out errno) : LibC.Send(held, data, length, LibC.MSG_NOSIGNAL, out errno);
            }
            else
            {
                try
                {
                    done = receive ? LibC.Receive(_handle, data, length, 0) : LibC.Send(_handle, data, length, LibC.MSG_NOSIGNAL);
                }
                catch (ObjectDisposedException)
                {
                    error = SocketError.OperationAborted;
                    return -1;
                }

                errno = done < 0 ? Marshal.GetLastPInvokeError() : 0;
            }

            if (done >= 0)
            {
                // Less than asked: a receive took all there was (unless an end of stream is still to be read), a
                // send filled the socket.
                if (done < length && !(receive && _peerClosed))
                {
                    MarkNotReady(receive, seen);
                }

                error = SocketError.Success;
                return (int)done;
            }

            error = Errno.ToSocketError(errno);
            if (error == SocketError.Interrupted)
            {
                continue;
            }

            if (error == SocketError.WouldBlock)
            {
                MarkNotReady(receive, seen);
            }

            return -1;
        }
    }

    /// <summary>
    /// Keeps the descriptor open until <see cref="ReleaseDescriptor"/>, even across <see cref="Dispose"/> (the close
    /// then happens at the release), so receives and sends skip the handle's reference counting. For one owner that
    /// makes every receive and send of the socket and releases it when done; false when the socket is closed.
    /// </summary>
    internal bool HoldDescriptor()
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        _heldDescriptor = (int)_handle.DangerousGetHandle();
        return true;
    }

    internal void ReleaseDescriptor()
    {
        if (_heldDescriptor >= 0)
        {
            _heldDescriptor = -1;
            _handle.DangerousRelease();
        }
    }

    /// <summary>Up to event <paramref name="seen"/>, the direction has nothing more (read) or no room (write).</summary>
    private void MarkNotReady(bool receive, int seen)
    {
        if (receive)
        {
            _readDrainedAt = seen;
        }
        else
        {
            _writeBlockedAt = seen;
        }
    }

    /// <summary>
    /// Sends all of <paramref name="data"/>, waiting for room when the socket is full. Throws
    /// <see cref="SocketException"/> when the socket fails and <see cref="ObjectDisposedException"/> once closed.
    /// </summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        var sent = Send(data.Span, out var error);
        if (sent == data.Length)
        {
            return ValueTask.CompletedTask;
        }

        if (sent < 0 && error != SocketError.WouldBlock)
        {
            return ValueTask.FromException(ToException(error));
        }

        return SendRestAsync(data[Math.Max(sent, 0)..]);
    }

    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest)
    {
        while (!rest.IsEmpty)
        {
            await WaitWritableAsync().ConfigureAwait(false);
            var sent = Send(rest.Span, out var error);
            if (sent < 0)
            {
                if (error == SocketError.WouldBlock)
                {
                    continue;
                }

                throw ToException(error);
            }

            rest = rest[sent..];
        }
    }

    /// <summary>Completes when an event says the socket may have data (or closed); at once if one arrived already.</summary>
    public ValueTask WaitReadableAsync() => Wait(ref _readSource, ref _readWaiter, ref _readEvents, ref _readDrainedAt);

    /// <summary>Completes when an event says the socket may take data again.</summary>
    public ValueTask WaitWritableAsync() => Wait(ref _writeSource, ref _writeWaiter, ref _writeEvents, ref _writeBlockedAt);

    private ValueTask Wait(ref ReadinessSource? source, ref IReadinessWaiter? slot, ref int events, ref int seenAt)
    {
        if (Volatile.Read(ref events) != seenAt || IsDisposed)
        {
            return ValueTask.CompletedTask;
        }

        source ??= new ReadinessSource();
        source.Reset();
        return TryWait(ref slot, source, ref events, seenAt) ? new ValueTask(source, source.Version) : ValueTask.CompletedTask;
    }

    /// <summary>
    /// Asks for <paramref name="waiter"/> to be woken by the next readable event; false when the socket became
    /// readable (or closed) meanwhile, so the caller receives again instead.
    /// </summary>
    internal bool TryWaitReadable(IReadinessWaiter waiter) => TryWait(ref _readWaiter, waiter, ref _readEvents, _readDrainedAt);

    /// <summary>As <see cref="TryWaitReadable"/>, for the next event that says the socket has room again.</summary>
    internal bool TryWaitWritable(IReadinessWaiter waiter) => TryWait(ref _writeWaiter, waiter, ref _writeEvents, _writeBlockedAt);

    private bool TryWait(ref IReadinessWaiter? slot, IReadinessWaiter waiter, ref int events, int seenAt)
    {
        Interlocked.Exchange(ref slot, waiter);
        if (Volatile.Read(ref events) == seenAt && !IsDisposed)
        {
            return true;
        }

        // An event (or the close) came between the last call and the registration: take the waiter back, unless
        // that event took it first and is waking it already.
        return Interlocked.CompareExchange(ref slot, null, waiter) != waiter;
    }

    /// <summary>Called by the loop with the event's flags.</summary>
    internal void OnEvents(uint flags)
    {
        if ((flags & (LibC.EPOLLRDHUP | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0)
        {
            _peerClosed = true;
        }

        if ((flags & (LibC.EPOLLIN | LibC.EPOLLRDHUP | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0)
        {
            Interlocked.Increment(ref _readEvents);
            Wake(ref _readWaiter, _inlineCompletions);
        }

        if ((flags & (LibC.EPOLLOUT | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0)
        {
            Interlocked.Increment(ref _writeEvents);
            Wake(ref _writeWaiter, _inlineCompletions);
        }
    }

    private static void Wake(ref IReadinessWaiter? slot, bool inline)
    {
        var waiter = Interlocked.Exchange(ref slot, null);
        if (waiter is null)
        {
            return;
        }

        if (inline)
        {
            waiter.OnReady();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(waiter, preferLocal: false);
        }
    }

    /// <summary>Ends sending (a FIN to the peer); receiving goes on.</summary>
    public void ShutdownSend() => Shutdown(LibC.SHUT_WR);

    /// <summary>Ends both directions at once, so the peer sees the close even while a call still holds the descriptor.</summary>
    public void Shutdown() => Shutdown(LibC.SHUT_RDWR);

    private void Shutdown(int how)
    {
        try
        {
            LibC.Shutdown(_handle, how);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Closes the socket. What waits on it is woken on the thread pool (never inside the caller) and then finds
    /// the socket closed.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _loop.Remove(this);
        if (_ownsHandle)
        {
            _handle.Dispose();
        }

        Wake(ref _readWaiter, inline: false);
        Wake(ref _writeWaiter, inline: false);
    }

    /// <summary>The exception a failed call surfaces as: the runtime's, so callers handle both alike.</summary>
    public Exception ToException(SocketError error) =>
        error == SocketError.OperationAborted && IsDisposed
            ? new ObjectDisposedException(nameof(EpollSocket))
            : new SocketException((int)error);

    private unsafe void SetOption(int level, int name, int value)
    {
        if (LibC.SetSocketOption(_handle, level, name, &value, sizeof(int)) != 0)
        {
            throw LastError();
        }
    }

    private unsafe int GetOption(int level, int name)
    {
        int value;
        var length = sizeof(int);
        return LibC.GetSocketOption(_handle, level, name, &value, &length) == 0 ? value : Marshal.GetLastPInvokeError();
    }

    private unsafe IPEndPoint? GetName(bool peer)
    {
        var address = stackalloc byte[SocketAddressCodec.MaxLength];
        var length = SocketAddressCodec.MaxLength;
        try
        {
            var result = peer ? LibC.GetPeerName(_handle, address, &length) : LibC.GetSocketName(_handle, address, &length);
            return result == 0 ? SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, length)) : null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }

    private static SocketException LastError() => new((int)Errno.ToSocketError(Marshal.GetLastPInvokeError()));

    /// <summary>One awaitable wait per direction, reused for the socket's life.</summary>
    private sealed class ReadinessSource : IValueTaskSource, IReadinessWaiter
    {
        private ManualResetValueTaskSourceCore<bool> _core;

        public short Version => _core.Version;

        public void Reset() => _core.Reset();

        public void OnReady() => _core.SetResult(true);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}

/// <summary>Something waiting for a socket's next event; woken once per registration.</summary>
internal interface IReadinessWaiter : IThreadPoolWorkItem
{
    void OnReady();

    void IThreadPoolWorkItem.Execute() => OnReady();
}
