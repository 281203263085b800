using System.Buffers;
using System.IO.Pipelines;

namespace StratumProxy.Tls;

/// <summary>
/// The connection's reader during the TLS handshake, handing the TLS stage no more than the rest of the record it
/// is in. So when the handshake ends, a record sent right behind it (a miner's first line, in the same segment as
/// its Finished) has not gone into the stream's own buffer: the connection's reader still holds it for the record
/// layer that takes the connection over (<see cref="global::Stratum.Transport.ITlsRecordLayerFeature"/>).
/// </summary>
/// <remarks>It is also the transport the TLS stage sees: this reader with the connection's own writer.</remarks>
internal sealed class TlsRecordBoundedReader(IDuplexPipe transport) : PipeReader, IDuplexPipe
{
    private const int HeaderLength = 5;

    private readonly PipeReader _inner = transport.Input;
    private readonly PipeWriter _output = transport.Output;
    private long _position;
    private long _recordEnd;
    private ReadOnlySequence<byte> _buffer;

    /// <summary>False once a record header made no sense (then everything is passed on unbounded).</summary>
    public bool KeptBounds { get; private set; } = true;

    PipeReader IDuplexPipe.Input => this;

    PipeWriter IDuplexPipe.Output => _output;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (TryBound(result, out var bounded))
            {
                return bounded;
            }

            _inner.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_inner.TryRead(out var read))
        {
            if (TryBound(read, out result))
            {
                return true;
            }

            _inner.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _position += _buffer.Slice(_buffer.Start, consumed).Length;
        _buffer = default;
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    /// <summary>The read cut at the end of the current record; false when a record header is still incomplete.</summary>
    private bool TryBound(in ReadResult result, out ReadResult bounded)
    {
        var buffer = result.Buffer;
        _buffer = buffer;
        if (KeptBounds && _position == _recordEnd && !buffer.IsEmpty)
        {
            if (buffer.Length < HeaderLength)
            {
                if (!result.IsCompleted && !result.IsCanceled)
                {
                    bounded = default;
                    return false;
                }
            }
            else
            {
                Span<byte> header = stackalloc byte[HeaderLength];
                buffer.Slice(0, HeaderLength).CopyTo(header);

                // Content types 20-24 (change_cipher_spec, alert, handshake, application_data, heartbeat), major version 3.
                if (header[0] is < 20 or > 24 || header[1] != 3)
                {
                    KeptBounds = false;
                }
                else
                {
                    _recordEnd = _position + HeaderLength + ((header[3] << 8) | header[4]);
                }
            }
        }

        if (KeptBounds && _recordEnd > _position && buffer.Length > _recordEnd - _position)
        {
            bounded = new ReadResult(buffer.Slice(0, _recordEnd - _position), result.IsCanceled, isCompleted: false);
            return true;
        }

        bounded = result;
        return true;
    }
}
