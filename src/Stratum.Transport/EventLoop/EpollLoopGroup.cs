namespace Stratum.Transport.EventLoop;

/// <summary>
/// The process's event loops, one per core (as nginx runs one worker per core). Accepted sockets are spread over
/// them in turn; sockets the process opens itself (listeners, connections to pool nodes) count apart, since a
/// session moves its pool side to its miner's loop, and one turn for both would send every miner to the same loop.
/// </summary>
internal static class EpollLoopGroup
{
    private static readonly Lazy<EpollLoop[]> s_loops = new(CreateLoops);
    private static int s_nextAccepted;
    private static int s_nextOpened;

    public static EpollLoop ForAccepted() => Next(ref s_nextAccepted);

    public static EpollLoop ForOpened() => Next(ref s_nextOpened);

    /// <summary>Runs <paramref name="work"/> on loop <paramref name="number"/>'s thread (see <see cref="EpollLoop.Post"/>).</summary>
    public static void Post(int number, Action<object?> work, object? state) => s_loops.Value[number].Post(work, state);

    /// <summary>The loops' <see cref="EpollLoop.Wakeups"/> summed; 0 before the first socket made them.</summary>
    public static long Wakeups()
    {
        if (!s_loops.IsValueCreated)
        {
            return 0;
        }

        long sum = 0;
        foreach (var loop in s_loops.Value)
        {
            sum += loop.Wakeups;
        }

        return sum;
    }

    private static EpollLoop Next(ref int counter)
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref counter) % (uint)loops.Length)];
    }

    private static EpollLoop[] CreateLoops()
    {
        var count = EventLoopThread.MaxLoops;
        var loops = new EpollLoop[count];
        for (var i = 0; i < count; i++)
        {
            loops[i] = new EpollLoop(i);
        }

        return loops;
    }
}
