namespace Stratum.Transport.EventLoop;

/// <summary>
/// Whether the event loops are relaying: a count that moves each time one of them wakes with work. Work that stops
/// every thread (a full collection) can watch it to fall into a pause between bursts of lines, such as two notify
/// broadcasts, rather than into one.
/// </summary>
public static class EventLoopActivity
{
    /// <summary>A count that changes whenever a loop has woken for sockets since it was last read.</summary>
    public static long Count => EpollLoopGroup.Wakeups();
}
