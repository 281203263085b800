using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Stratum.Transport;

/// <summary>
/// Sends on any socket with event args shared by all of them, as Kestrel's socket transport does: a send
/// usually completes at once, so a few args serve thousands of sessions, and an idle session keeps none.
/// </summary>
public static class SocketSenderPool
{
    private const int MaxPooled = 256;

    private static readonly ConcurrentQueue<SocketOperation> s_pool = new();
    private static int s_count;

    /// <summary>
    /// Sends all of <paramref name="data"/>; throws <see cref="SocketException"/> when the socket fails and
    /// <see cref="ObjectDisposedException"/> when it was closed.
    /// </summary>
    public static ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        var sender = Rent();
        ValueTask<int> send;
        try
        {
            send = sender.SendAsync(socket, data);
        }
        catch
        {
            Return(sender);
            throw;
        }

        if (send.IsCompletedSuccessfully)
        {
            Return(sender);
            return ValueTask.CompletedTask;
        }

        return AwaitAsync(send, sender);
    }

    private static async ValueTask AwaitAsync(ValueTask<int> send, SocketOperation sender)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            Return(sender);
        }
    }

    private static SocketOperation Rent()
    {
        if (s_pool.TryDequeue(out var sender))
        {
            Interlocked.Decrement(ref s_count);
            return sender;
        }

        return new SocketOperation();
    }

    private static void Return(SocketOperation sender)
    {
        if (Interlocked.Increment(ref s_count) <= MaxPooled)
        {
            s_pool.Enqueue(sender);
            return;
        }

        Interlocked.Decrement(ref s_count);
        sender.Dispose();
    }
}
