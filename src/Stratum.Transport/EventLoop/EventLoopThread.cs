namespace Stratum.Transport.EventLoop;

/// <summary>
/// Which of the process's event loops runs on the current thread, so per-loop state (such as a counter's cell)
/// can be kept where no other core writes it.
/// </summary>
public static class EventLoopThread
{
    [ThreadStatic]
    private static int t_numberPlusOne;

    /// <summary>How many event loops the process runs at most (one per core).</summary>
    public static int MaxLoops { get; } = Math.Clamp(Environment.ProcessorCount, 1, 64);

    /// <summary>The current thread's loop, from 0 to <see cref="MaxLoops"/> - 1; -1 on any other thread.</summary>
    public static int Number => t_numberPlusOne - 1;

    internal static void Enter(int number) => t_numberPlusOne = number + 1;
}
