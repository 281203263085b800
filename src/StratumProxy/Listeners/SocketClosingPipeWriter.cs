using System.IO.Pipelines;

namespace StratumProxy.Listeners;

/// <summary>The output of a <see cref="DirectSocketConnection"/>: writes go to the socket on flush; completing it closes the connection.</summary>
internal sealed class SocketClosingPipeWriter(PipeWriter inner, DirectSocketConnection connection) : PipeWriter
{
    private int _completed;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        try
        {
            inner.Complete(exception);
        }
        catch (IOException)
        {
            // What was still buffered could not be sent: the miner is gone, which closing says anyway.
        }
        finally
        {
            connection.OnOutputCompleted();
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
            await inner.CompleteAsync(exception).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
        finally
        {
            connection.OnOutputCompleted();
        }
    }
}
