namespace Stratum.Transport.EventLoop;

/// <summary>
/// Runs work on a given event loop's thread, where the sockets of that loop are served: work that touches many
/// sessions (one line sent to each) is spread over the loops that hold them, each doing its own share.
/// </summary>
public static class EventLoopWork
{
    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> on loop <paramref name="loop"/> (0 to
    /// <see cref="EventLoopThread.MaxLoops"/> - 1) once it has handled the events it woke for. It must not block,
    /// and an exception it lets escape ends the process, as on any thread.
    /// </summary>
    public static void Post(int loop, Action<object?> work, object? state)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(loop);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(loop, EventLoopThread.MaxLoops);
        EpollLoopGroup.Post(loop, work, state);
    }
}
