namespace Stratum.Transport.EventLoop;

/// <summary>The process's event loops, one per core (as nginx runs one worker per core); sockets are spread over them in turn.</summary>
internal static class EpollLoopGroup
{
    private static readonly Lazy<EpollLoop[]> s_loops = new(CreateLoops);
    private static int s_next;

    public static EpollLoop Next()
    {
        var loops = s_loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    private static EpollLoop[] CreateLoops()
    {
        var count = Math.Clamp(Environment.ProcessorCount, 1, 64);
        var loops = new EpollLoop[count];
        for (var i = 0; i < count; i++)
        {
            loops[i] = new EpollLoop(i);
        }

        return loops;
    }
}
