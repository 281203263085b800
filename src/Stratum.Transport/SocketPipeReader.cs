using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Tls;

namespace Stratum.Transport;

/// <summary>
/// The input of a <see cref="DirectSocketConnection"/>: a reader over one pooled array that receives from the
/// socket only when the consumer asks for more. With nothing buffered it waits for the socket's next event before
/// it takes an array, so an idle connection holds none; the event hands the data to the waiting read directly.
/// </summary>
internal sealed class SocketPipeReader : PipeReader, IValueTaskSource<ReadResult>, IReadinessWaiter
{
    /// <summary>The array rented for a receive.</summary>
    private const int BufferSize = SocketBufferPool.BlockSize;

    /// <summary>Free room below which the array is compacted or grown before a receive.</summary>
    private const int MinimumReceive = 1024;

    private readonly EpollSocket _socket;
    private OpenSslRecordLayer? _tls;
    private ManualResetValueTaskSourceCore<ReadResult> _read;
    private CancellationTokenRegistration _readCancellation;
    private CancellationToken _readToken;

    // Guarded by lock (this). The buffer holds [_consumed, _end); the consumer has examined up to _examined.
    private byte[]? _buffer;
    private int _consumed;
    private int _examined;
    private int _end;
    private bool _waiting;
    private bool _readPending;
    private bool _cancelNextRead;
    private bool _endOfStream;
    private bool _completed;
    private Exception? _error;

    /// <summary>The answer to the pending read, decided under the lock and delivered outside it.</summary>
    private (ReadResult Result, Exception? Error)? _pendingCompletion;

    public SocketPipeReader(EpollSocket socket) => _socket = socket;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (this)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (_readPending)
            {
                throw new InvalidOperationException("A read is already pending.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (TryTakeResult(out var result))
            {
                return new ValueTask<ReadResult>(result);
            }

            _read.Reset();
            _readPending = true;
            Pump();

            if (_pendingCompletion is { } completed)
            {
                // Answered while starting the receive: nobody waits on the source yet.
                _pendingCompletion = null;
                return completed.Error is null
                    ? new ValueTask<ReadResult>(completed.Result)
                    : ValueTask.FromException<ReadResult>(completed.Error);
            }

            if (cancellationToken.CanBeCanceled)
            {
                _readToken = cancellationToken;
                _readCancellation = cancellationToken.UnsafeRegister(static state => ((SocketPipeReader)state!).CancelRead(fromToken: true), this);
            }

            return new ValueTask<ReadResult>(this, _read.Version);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (this)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            return TryTakeResult(out result);
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        lock (this)
        {
            if (_buffer is null || !ReferenceEquals(consumed.GetObject(), _buffer))
            {
                return;
            }

            _consumed = consumed.GetInteger();
            _examined = Math.Max(_consumed, ReferenceEquals(examined.GetObject(), _buffer) ? examined.GetInteger() : _consumed);
            if (_consumed == _end)
            {
                ReleaseBuffer();
            }
        }
    }

    public override void CancelPendingRead() => CancelRead(fromToken: false);

    /// <summary>
    /// From now on the reader returns what <paramref name="tls"/> decrypts; what it holds unread are the first
    /// records. False while a read is pending (the TLS stage has not finished with the reader).
    /// </summary>
    internal bool StartTls(OpenSslRecordLayer tls)
    {
        lock (this)
        {
            if (_readPending || _completed || _tls is not null)
            {
                return false;
            }

            if (_buffer is not null)
            {
                tls.Feed(_buffer.AsSpan(_consumed, _end - _consumed));
                ReleaseBuffer();
            }

            _tls = tls;
            return true;
        }
    }

    /// <summary>
    /// Hands over the socket's input: <paramref name="buffered"/> is what was received and not consumed (its array
    /// goes to the caller, who returns it to <see cref="SocketBufferPool"/>), <paramref name="ended"/> whether the
    /// end of stream came. With TLS records that is plaintext, and OpenSSL may hold more. The reader is completed.
    /// False while a read is pending or after an error.
    /// </summary>
    internal bool TryDetach(out ArraySegment<byte> buffered, out bool ended)
    {
        lock (this)
        {
            buffered = default;
            ended = false;
            if (_readPending || _completed || _error is not null)
            {
                return false;
            }

            if (_buffer is not null)
            {
                buffered = new ArraySegment<byte>(_buffer, _consumed, _end - _consumed);
                _buffer = null;
                _consumed = _examined = _end = 0;
            }

            ended = _endOfStream;
            _completed = true;
            return true;
        }
    }

    /// <summary>
    /// The connection was aborted: this read and every later one fail with <paramref name="reason"/>, whatever the
    /// socket's own pending receive ends with (closing a socket can also look like an orderly end of stream).
    /// </summary>
    public void Abort(Exception reason)
    {
        (ReadResult Result, Exception? Error) completion;
        CancellationTokenRegistration registration;
        lock (this)
        {
            _error ??= reason;
            TryCompleteRead();
            if (!TakePendingCompletion(out completion, out registration))
            {
                return;
            }
        }

        Deliver(completion, registration);
    }

    public override void Complete(Exception? exception = null)
    {
        lock (this)
        {
            _completed = true;
            ReleaseBuffer();
        }
    }

    private void CancelRead(bool fromToken)
    {
        ReadResult result;
        CancellationToken token;
        CancellationTokenRegistration registration;
        lock (this)
        {
            if (!_readPending)
            {
                _cancelNextRead |= !fromToken;
                return;
            }

            _readPending = false;
            token = _readToken;
            registration = _readCancellation;
            _readToken = default;
            _readCancellation = default;
            result = new ReadResult(Buffered(), isCanceled: true, isCompleted: false);
        }

        if (!fromToken)
        {
            registration.Dispose();
        }

        if (fromToken)
        {
            _read.SetException(new OperationCanceledException(token));
        }
        else
        {
            _read.SetResult(result);
        }
    }

    /// <summary>
    /// Receives until the pending read has its result or the socket has nothing more for now, in which case the
    /// reader waits for the socket's next event (holding no array when nothing is buffered). Called under the lock.
    /// </summary>
    private void Pump()
    {
        while (true)
        {
            if (!_socket.IsReadable && _tls is not { HasBufferedInput: true })
            {
                if (_consumed == _end)
                {
                    ReleaseBuffer();
                }

                if (_waiting)
                {
                    return;
                }

                if (_socket.TryWaitReadable(this))
                {
                    _waiting = true;
                    return;
                }
            }

            EnsureRoom();
            var received = _tls is null ? _socket.Receive(_buffer.AsSpan(_end), out var error) : _tls.Decrypt(_buffer.AsSpan(_end), _socket, out error);
            if (received > 0)
            {
                _end += received;
                if (TryCompleteRead())
                {
                    return;
                }

                continue;
            }

            if (received == 0)
            {
                _endOfStream = true;
            }
            else if (error == SocketError.WouldBlock)
            {
                continue;
            }
            else if (_tls is { Failed: true })
            {
                _error ??= new ConnectionResetException("The miner's TLS records could not be decrypted.");
            }
            else
            {
                _error ??= SocketErrors.ToConnectionException(_socket.ToException(error));
            }

            TryCompleteRead();
            return;
        }
    }

    /// <summary>Called when the socket's next event arrives (on the loop's thread, or the thread pool when closed).</summary>
    void IReadinessWaiter.OnReady()
    {
        (ReadResult Result, Exception? Error) completion;
        CancellationTokenRegistration registration;
        lock (this)
        {
            _waiting = false;
            if (!_readPending || _completed)
            {
                if (_completed)
                {
                    ReleaseBuffer();
                }

                return;
            }

            Pump();
            if (!TakePendingCompletion(out completion, out registration))
            {
                return;
            }
        }

        Deliver(completion, registration);
    }

    /// <summary>Under the lock: takes the answer <see cref="TryCompleteRead"/> parked for the pending read, if any.</summary>
    private bool TakePendingCompletion(out (ReadResult Result, Exception? Error) completion, out CancellationTokenRegistration registration)
    {
        registration = default;
        if (_pendingCompletion is not { } pending)
        {
            completion = default;
            return false;
        }

        completion = pending;
        _pendingCompletion = null;
        registration = _readCancellation;
        _readCancellation = default;
        _readToken = default;
        return true;
    }

    /// <summary>Outside the lock: answers the read (its continuation may run here and read again).</summary>
    private void Deliver((ReadResult Result, Exception? Error) completion, CancellationTokenRegistration registration)
    {
        registration.Dispose();
        if (completion.Error is not null)
        {
            _read.SetException(completion.Error);
        }
        else
        {
            _read.SetResult(completion.Result);
        }
    }

    /// <summary>Under the lock: when the pending read can be answered, parks the answer in <see cref="_pendingCompletion"/>.</summary>
    private bool TryCompleteRead()
    {
        if (!_readPending)
        {
            return false;
        }

        var result = default(ReadResult);
        if (_error is null && !TryTakeResult(out result))
        {
            return false;
        }

        _readPending = false;
        _pendingCompletion = (result, _error);
        return true;
    }

    /// <summary>Under the lock: a result for a read that need not wait, if there is one.</summary>
    private bool TryTakeResult(out ReadResult result)
    {
        if (_cancelNextRead)
        {
            _cancelNextRead = false;
            result = new ReadResult(Buffered(), isCanceled: true, isCompleted: false);
            return true;
        }

        if (_error is not null)
        {
            throw _error;
        }

        if (_end > _examined || _endOfStream)
        {
            result = new ReadResult(Buffered(), isCanceled: false, isCompleted: _endOfStream);
            return true;
        }

        result = default;
        return false;
    }

    private ReadOnlySequence<byte> Buffered() =>
        _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, _consumed, _end - _consumed);

    private void EnsureRoom()
    {
        if (_buffer is null)
        {
            _buffer = SocketBufferPool.Rent(BufferSize);
            _consumed = _examined = _end = 0;
            return;
        }

        if (_buffer.Length - _end >= MinimumReceive)
        {
            return;
        }

        var unconsumed = _end - _consumed;
        var target = _buffer;
        if (_buffer.Length - unconsumed < MinimumReceive)
        {
            target = SocketBufferPool.Rent(Math.Max(_buffer.Length * 2, unconsumed + MinimumReceive));
        }

        Buffer.BlockCopy(_buffer, _consumed, target, 0, unconsumed);
        if (!ReferenceEquals(target, _buffer))
        {
            SocketBufferPool.Return(_buffer);
            _buffer = target;
        }

        _examined -= _consumed;
        _end = unconsumed;
        _consumed = 0;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null)
        {
            SocketBufferPool.Return(_buffer);
            _buffer = null;
        }

        _consumed = _examined = _end = 0;
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);
}
