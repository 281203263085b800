using System.Net.Sockets;
using Microsoft.Extensions.ObjectPool;

namespace Stratum.Transport;

/// <summary>
/// Sends on any socket with event args shared by all of them, as Kestrel's socket transport does: a send
/// usually completes at once, so a few args serve thousands of sessions, and an idle session keeps none.
/// </summary>
public static class SocketSenderPool
{
    /// <summary>Senders kept for reuse at most; one returned beyond that is disposed.</summary>
    private const int MaxPooled = 256;

    private static readonly ObjectPool<SocketSender> s_pool =
        new DefaultObjectPoolProvider { MaximumRetained = MaxPooled }.Create(new DefaultPooledObjectPolicy<SocketSender>());

    /// <summary>
    /// Sends all of <paramref name="data"/>; throws <see cref="SocketException"/> when the socket fails and
    /// <see cref="ObjectDisposedException"/> when it was closed.
    /// </summary>
    public static ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        var sender = s_pool.Get();
        ValueTask<int> send;
        try
        {
            send = sender.SendAsync(socket, data);
        }
        catch
        {
            s_pool.Return(sender);
            throw;
        }

        if (send.IsCompletedSuccessfully)
        {
            s_pool.Return(sender);
            return ValueTask.CompletedTask;
        }

        return AwaitAsync(send, sender);
    }

    private static async ValueTask AwaitAsync(ValueTask<int> send, SocketSender sender)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        finally
        {
            s_pool.Return(sender);
        }
    }
}
