using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Tls;

namespace Stratum.Transport;

/// <summary>
/// The output of a <see cref="DirectSocketConnection"/>: what is written collects in one pooled array and goes to
/// the socket on flush, with one <c>send</c> when the socket has room; the array goes back to the pool once sent,
/// so an idle connection holds none. Completing it closes the connection.
/// One writer at a time, as for any pipe writer.
/// </summary>
internal sealed class SocketPipeWriter(EpollSocket socket, DirectSocketConnection connection) : PipeWriter
{
    private const int BufferSize = SocketBufferPool.BlockSize;

    private OpenSslRecordLayer? _tls;
    private byte[]? _buffer;
    private int _written;
    private int _completed;
    private bool _sending;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _written;

    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)((_buffer?.Length ?? 0) - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes));
        }

        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>True when nothing is written and unsent and the writer is open, so another may send on the socket.</summary>
    internal bool IsIdle => _written == 0 && !_sending && Volatile.Read(ref _completed) == 0;

    /// <summary>True when nothing is unsent, so everything flushed from now on can be encrypted.</summary>
    internal bool CanStartTls => _written == 0 && !_sending && _tls is null;

    /// <summary>From now on what is flushed is encrypted with <paramref name="tls"/>.</summary>
    internal void StartTls(OpenSslRecordLayer tls) => _tls = tls;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_written == 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: Volatile.Read(ref _completed) != 0));
        }

        ValueTask send;
        try
        {
            if (_tls is not null)
            {
                var records = _tls.Encrypt(_buffer.AsSpan(0, _written), out var length);
                SocketBufferPool.Return(_buffer!);
                _buffer = records;
                _written = length;
            }

            send = socket.SendAsync(_buffer.AsMemory(0, _written));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            ReleaseBuffer();
            throw SocketErrors.ToConnectionException(ex);
        }

        if (send.IsCompletedSuccessfully)
        {
            ReleaseBuffer();
            return default;
        }

        _sending = true;
        return AwaitSendAsync(send);
    }

    public override void CancelPendingFlush()
    {
        // A send in flight cannot be called back; it ends when the peer reads or the connection closes.
    }

    public override void Complete(Exception? exception = null)
    {
        var completion = CompleteAsync(exception);
        if (completion.IsCompleted)
        {
            completion.GetAwaiter().GetResult();
        }
        else
        {
            // What is left to send goes in the background; the connection closes when it is out.
            _ = completion.AsTask();
        }
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        try
        {
            if (exception is null && _written > 0)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException)
        {
            // The miner is gone or the connection was closed already; closing says as much.
        }
        finally
        {
            ReleaseBuffer();
            connection.OnOutputCompleted();
        }
    }

    private async ValueTask<FlushResult> AwaitSendAsync(ValueTask send)
    {
        try
        {
            await send.ConfigureAwait(false);
            return default;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw SocketErrors.ToConnectionException(ex);
        }
        finally
        {
            _sending = false;
            ReleaseBuffer();
        }
    }

    private void EnsureRoom(int sizeHint)
    {
        if (_sending)
        {
            // The array is in the kernel's hands until the send completes.
            throw new InvalidOperationException("Write after a flush that has not completed.");
        }

        var needed = Math.Max(sizeHint, 1);
        if (_buffer is null)
        {
            _buffer = SocketBufferPool.Rent(Math.Max(needed, BufferSize));
            return;
        }

        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var larger = SocketBufferPool.Rent(Math.Max(_buffer.Length * 2, _written + needed));
        Buffer.BlockCopy(_buffer, 0, larger, 0, _written);
        SocketBufferPool.Return(_buffer);
        _buffer = larger;
    }

    private void ReleaseBuffer()
    {
        if (_buffer is not null)
        {
            SocketBufferPool.Return(_buffer);
            _buffer = null;
        }

        _written = 0;
    }
}
