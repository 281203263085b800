using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Tls;

namespace Stratum.Transport.Relay;

/// <summary>
/// Passes whole lines between a client's socket and a destination's socket on one event loop, the way nginx's
/// stream module passes bytes: a socket's event runs the forwarding right on the loop's thread, a receive goes
/// into the loop thread's scratch array and is sent on from there. A session keeps only what cannot go on at
/// once: an unterminated line, or what the other socket had no room for, which also stops reading the side that
/// sent it until there is room (backpressure). An idle session holds no buffer and no suspended method.
/// </summary>
/// <remarks>
/// Events of both sockets arrive on the loop's thread; a socket closed under the relay wakes it on the thread pool,
/// so the forwarding itself runs under the relay's gate. A TLS client's records are decrypted into the scratch
/// array and what goes to it is encrypted from there (<see cref="OpenSslRecordLayer"/>), as the connection's pipes
/// would do.
/// </remarks>
public sealed class LineRelay : IValueTaskSource<RelayEnd>
{
    /// <summary>Room for one receive beyond a carried unterminated line.</summary>
    private const int ReceiveRoom = 16384;

    [ThreadStatic]
    private static byte[]? t_scratch;

    private readonly ILineRelayHandler _handler;
    private readonly OpenSslRecordLayer? _clientRecords;
    private readonly Direction _up;
    private readonly Direction _down;
    private ManualResetValueTaskSourceCore<RelayEnd> _completion;
    private SpinGate _gate;
    private bool _done;
    private bool _holdsClient;
    private bool _holdsDestination;

    private LineRelay(EpollSocket client, EpollSocket destination, ILineRelayHandler handler, OpenSslRecordLayer? clientRecords)
    {
        _handler = handler;
        _clientRecords = clientRecords;
        _up = new Direction(this, RelaySide.Client, client, destination);
        _down = new Direction(this, RelaySide.Destination, destination, client);
    }

    /// <summary>The event loop the relay runs on (see <see cref="EventLoopWork.Post"/>).</summary>
    public int LoopNumber => _up.From.Loop.Number;

    /// <summary>Completes when the relay ends; the caller then closes both sockets.</summary>
    public ValueTask<RelayEnd> Completion => new(this, _completion.Version);

    /// <summary>
    /// Starts relaying between <paramref name="client"/> and <paramref name="destination"/>, which must be on the
    /// same loop with nothing else reading or writing them. <paramref name="clientBuffered"/> is what was received
    /// from the client already and not passed on; <paramref name="clientEnded"/> says its end of stream was seen.
    /// </summary>
    public static LineRelay Start(EpollSocket client, EpollSocket destination, ILineRelayHandler handler, ReadOnlySpan<byte> clientBuffered, bool clientEnded) =>
        Start(client, destination, handler, clientBuffered, clientEnded, clientRecords: null);

    /// <summary>As the public overload, for a client whose bytes are TLS records of <paramref name="clientRecords"/>.</summary>
    internal static LineRelay Start(
        EpollSocket client, EpollSocket destination, ILineRelayHandler handler, ReadOnlySpan<byte> clientBuffered, bool clientEnded, OpenSslRecordLayer? clientRecords)
    {
        var relay = new LineRelay(client, destination, handler, clientRecords);
        if (!clientBuffered.IsEmpty)
        {
            relay._up.Keep(clientBuffered);
            relay._up.Unexamined = true;
        }

        relay._up.Ended = clientEnded;
        relay._holdsClient = client.HoldDescriptor();
        relay._holdsDestination = destination.HoldDescriptor();
        relay.Run(relay._up);
        relay.Run(relay._down);
        return relay;
    }

    private void Run(Direction direction)
    {
        RelayEnd end = default;
        Exception? fault = null;
        _gate.Enter();
        try
        {
            if (_done)
            {
                return;
            }

            try
            {
                if (Forward(direction) is not { } ended)
                {
                    return;
                }

                end = ended;
            }
            catch (Exception ex)
            {
                // A fault of the handler ends this session only; its owner sees it where it awaits the relay.
                fault = ex;
            }

            Finish();
        }
        finally
        {
            _gate.Exit();
        }

        Complete(end, fault);
    }

    /// <summary>Outside the gate: the owner's continuation runs here and closes the sockets.</summary>
    private void Complete(RelayEnd end, Exception? fault)
    {
        if (fault is not null)
        {
            _completion.SetException(fault);
        }
        else
        {
            _completion.SetResult(end);
        }
    }

    private void Finish()
    {
        _done = true;
        _up.Release();
        _down.Release();

        // A socket closed under the relay is only closed for real here, so its descriptor was never reused meanwhile.
        if (_holdsClient)
        {
            _up.From.ReleaseDescriptor();
        }

        if (_holdsDestination)
        {
            _down.From.ReleaseDescriptor();
        }
    }

    /// <summary>Moves one direction on until it has to wait for an event; the end of the relay, if it ended.</summary>
    private RelayEnd? Forward(Direction direction)
    {
        var from = direction.From;
        var to = direction.To;
        while (true)
        {
            if (direction.HasPending)
            {
                if (!to.IsWritable && to.TryWaitWritable(direction.WritableWaiter))
                {
                    return null;
                }

                var sent = to.Send(direction.Pending, out var sendError);
                if (sent < 0)
                {
                    if (sendError != SocketError.WouldBlock)
                    {
                        return TargetFailed(direction);
                    }

                    continue;
                }

                direction.Sent(sent);
                continue;
            }

            var scratch = Scratch(direction.CarryLength + ReceiveRoom);
            int length;
            if (direction.Unexamined)
            {
                direction.Unexamined = false;
                length = direction.MoveCarryTo(scratch);
            }
            else if (direction.Ended)
            {
                if (direction.Side == RelaySide.Destination)
                {
                    return RelayEnd.DestinationClosed;
                }

                if (!direction.Finished)
                {
                    direction.Finished = true;
                    to.ShutdownSend();
                    _handler.OnClientEnded();
                }

                return null;
            }
            else
            {
                var records = direction.Side == RelaySide.Client ? _clientRecords : null;
                if (!from.IsReadable && records is not { HasBufferedInput: true } && from.TryWaitReadable(direction))
                {
                    return null;
                }

                var carried = direction.CopyCarryTo(scratch);
                var received = records is null
                    ? from.Receive(scratch.AsSpan(carried), out var receiveError)
                    : records.Decrypt(scratch.AsSpan(carried), from, out receiveError);
                if (received < 0)
                {
                    if (receiveError == SocketError.WouldBlock)
                    {
                        continue;
                    }

                    return SourceFailed(direction);
                }

                // At the end of stream the complete lines went on already; an unterminated one is dropped.
                direction.DropCarry();
                if (received == 0)
                {
                    direction.Ended = true;
                    continue;
                }

                length = carried + received;
            }

            var complete = _handler.OnReceived(direction.Side, scratch.AsSpan(0, length), out var skip, out var close);
            if (complete > skip && !SendLines(direction, scratch.AsSpan(skip, complete - skip)))
            {
                return TargetFailed(direction);
            }

            if (close)
            {
                return RelayEnd.Closed;
            }

            if (complete < length)
            {
                direction.Keep(scratch.AsSpan(complete, length - complete));
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="line"/>, whole lines from elsewhere (the same line another session's pool connection
    /// delivered first), to the client, as if its destination had sent it: true when it was sent or kept to send
    /// once the socket has room. <paramref name="admit"/> decides under the relay's gate, once nothing else can
    /// touch the session, whether it still wants the line. False with nothing sent when the relay ended, bytes of
    /// the destination wait for room already (the line would have to queue behind them), or <paramref name="admit"/>
    /// said no; a closed client ends the relay. Any thread may call it; on the relay's own loop it costs no
    /// switch.
    /// </summary>
    public bool TryInject<TState>(ReadOnlySpan<byte> line, Func<TState, bool> admit, TState state)
    {
        bool sent;
        bool pending;
        _gate.Enter();
        try
        {
            if (_done || _down.HasPending || !admit(state))
            {
                return false;
            }

            sent = SendLines(_down, line);
            if (!sent)
            {
                Finish();
            }

            pending = sent && _down.HasPending;
        }
        finally
        {
            _gate.Exit();
        }

        if (!sent)
        {
            Complete(RelayEnd.ClientFailed, fault: null);
            return false;
        }

        if (pending)
        {
            // The rest goes once the client's socket has room, as a forwarded line's would.
            Run(_down);
        }

        return true;
    }

    /// <summary>
    /// Sends complete lines on in <paramref name="direction"/> (encrypted for a TLS client); what the socket does not
    /// take stays pending. False when the target's connection failed.
    /// </summary>
    private bool SendLines(Direction direction, ReadOnlySpan<byte> lines)
    {
        if (direction.Side == RelaySide.Destination && _clientRecords is { } clientRecords)
        {
            return SendRecords(direction, clientRecords, lines);
        }

        var sent = direction.To.Send(lines, out var sendError);
        if (sent < 0)
        {
            if (sendError != SocketError.WouldBlock)
            {
                return false;
            }

            sent = 0;
        }

        if (sent < lines.Length)
        {
            direction.KeepPending(lines[sent..]);
        }

        return true;
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> for the client and sends the records; what the socket does not take
    /// stays pending. False when the client's connection failed.
    /// </summary>
    private static bool SendRecords(Direction direction, OpenSslRecordLayer records, ReadOnlySpan<byte> plaintext)
    {
        byte[] encrypted;
        int size;
        try
        {
            encrypted = records.Encrypt(plaintext, out size);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return false;
        }

        var sent = direction.To.Send(encrypted.AsSpan(0, size), out var error);
        if (sent < 0 && error != SocketError.WouldBlock)
        {
            SocketBufferPool.Return(encrypted);
            return false;
        }

        direction.KeepPending(encrypted, Math.Max(sent, 0), size);
        return true;
    }

    /// <summary>The end when the socket <paramref name="direction"/> receives from failed.</summary>
    private static RelayEnd SourceFailed(Direction direction) =>
        direction.Side == RelaySide.Client ? RelayEnd.ClientFailed : RelayEnd.DestinationFailed;

    /// <summary>The end when the socket <paramref name="direction"/> sends to failed.</summary>
    private static RelayEnd TargetFailed(Direction direction) =>
        direction.Side == RelaySide.Client ? RelayEnd.DestinationFailed : RelayEnd.ClientFailed;

    /// <summary>The loop thread's array for one receive: everything in it is passed on or copied out before the next.</summary>
    private static byte[] Scratch(int length)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length)
        {
            t_scratch = scratch = GC.AllocateUninitializedArray<byte>(Math.Max(length, 2 * ReceiveRoom));
        }

        return scratch;
    }

    RelayEnd IValueTaskSource<RelayEnd>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<RelayEnd>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<RelayEnd>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// One way through the relay: what is kept between events, and the waiter for its source's next readable
    /// event (itself) or its target's next writable one.
    /// </summary>
    private sealed class Direction(LineRelay relay, RelaySide side, EpollSocket from, EpollSocket to) : IReadinessWaiter
    {
        private byte[]? _carry;
        private byte[]? _pending;
        private int _pendingStart;
        private int _pendingEnd;
        private WritableWaiter? _writable;

        public LineRelay Relay => relay;

        public RelaySide Side => side;

        public EpollSocket From => from;

        public EpollSocket To => to;

        /// <summary>The length of the unterminated line kept from the last receive.</summary>
        public int CarryLength { get; private set; }

        /// <summary>The carried bytes were received before the relay started and are still to be examined.</summary>
        public bool Unexamined { get; set; }

        /// <summary>The source's end of stream was received.</summary>
        public bool Ended { get; set; }

        /// <summary>The end was passed on (the client's half-close).</summary>
        public bool Finished { get; set; }

        public bool HasPending => _pendingEnd > _pendingStart;

        public ReadOnlySpan<byte> Pending => _pending.AsSpan(_pendingStart, _pendingEnd - _pendingStart);

        public IReadinessWaiter WritableWaiter => _writable ??= new WritableWaiter(this);

        public void OnReady() => relay.Run(this);

        public void Keep(ReadOnlySpan<byte> tail)
        {
            if (_carry is null || _carry.Length < tail.Length)
            {
                ReturnCarry();
                _carry = SocketBufferPool.Rent(tail.Length);
            }

            tail.CopyTo(_carry);
            CarryLength = tail.Length;
        }

        /// <summary>Copies the carried line to the start of <paramref name="scratch"/> and keeps it (the receive may find nothing).</summary>
        public int CopyCarryTo(byte[] scratch)
        {
            if (CarryLength > 0)
            {
                _carry.AsSpan(0, CarryLength).CopyTo(scratch);
            }

            return CarryLength;
        }

        public int MoveCarryTo(byte[] scratch)
        {
            var length = CopyCarryTo(scratch);
            DropCarry();
            return length;
        }

        public void DropCarry()
        {
            CarryLength = 0;
            ReturnCarry();
        }

        public void KeepPending(ReadOnlySpan<byte> unsent)
        {
            var pending = SocketBufferPool.Rent(unsent.Length);
            unsent.CopyTo(pending);
            KeepPending(pending, 0, unsent.Length);
        }

        /// <summary>Keeps <paramref name="array"/> (from <see cref="SocketBufferPool"/>) until its bytes from <paramref name="start"/> to <paramref name="end"/> are sent.</summary>
        public void KeepPending(byte[] array, int start, int end)
        {
            _pending = array;
            _pendingStart = start;
            _pendingEnd = end;
            if (start == end)
            {
                ReturnPending();
            }
        }

        public void Sent(int count)
        {
            _pendingStart += count;
            if (_pendingStart == _pendingEnd)
            {
                ReturnPending();
            }
        }

        public void Release()
        {
            DropCarry();
            ReturnPending();
        }

        private void ReturnCarry()
        {
            if (_carry is not null)
            {
                SocketBufferPool.Return(_carry);
                _carry = null;
            }
        }

        private void ReturnPending()
        {
            if (_pending is not null)
            {
                SocketBufferPool.Return(_pending);
                _pending = null;
            }

            _pendingStart = _pendingEnd = 0;
        }
    }

    /// <summary>Wakes a direction when its target may take data again.</summary>
    private sealed class WritableWaiter(Direction direction) : IReadinessWaiter
    {
        public void OnReady() => direction.Relay.Run(direction);
    }
}
