using Stratum.Transport.Native;

namespace Stratum.Transport.EventLoop;

/// <summary>
/// Pins each event loop's thread to a CPU of its own, as nginx's <c>worker_cpu_affinity</c> does for its workers.
/// Left to the scheduler, two busy loops can end up sharing one core while the other runs the rest of the host, and
/// then one loop's sessions wait out the other's whole time slice (milliseconds in the tail of every session on it).
/// Set <c>STRATUM_PROXY_PIN_LOOPS=0</c> to leave placement to the scheduler (a host where other busy processes own
/// some of the cores).
/// </summary>
internal static unsafe class LoopAffinity
{
    /// <summary>The environment variable that turns pinning off with <c>0</c>.</summary>
    public const string Variable = "STRATUM_PROXY_PIN_LOOPS";

    // 1 024 CPUs, the kernel's default cpu_set_t.
    private const int MaskWords = 16;

    /// <summary>
    /// Pins the calling thread, loop <paramref name="number"/>, to the <paramref name="number"/>-th CPU the process may
    /// use; false when pinning is off, or the process may use fewer CPUs than it runs loops.
    /// </summary>
    public static bool TryPin(int number)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) == "0")
        {
            return false;
        }

        var allowed = stackalloc ulong[MaskWords];
        if (LibC.SchedGetAffinity(0, MaskWords * sizeof(ulong), allowed) != 0)
        {
            return false;
        }

        if (CountAllowed(allowed) < EventLoopThread.MaxLoops)
        {
            return false;
        }

        var seen = 0;
        for (var cpu = 0; cpu < MaskWords * 64; cpu++)
        {
            if ((allowed[cpu / 64] & (1UL << (cpu % 64))) == 0 || seen++ != number)
            {
                continue;
            }

            var only = stackalloc ulong[MaskWords];
            new Span<ulong>(only, MaskWords).Clear();
            only[cpu / 64] = 1UL << (cpu % 64);
            return LibC.SchedSetAffinity(0, MaskWords * sizeof(ulong), only) == 0;
        }

        return false;
    }

    private static int CountAllowed(ulong* mask)
    {
        var count = 0;
        for (var i = 0; i < MaskWords; i++)
        {
            count += System.Numerics.BitOperations.PopCount(mask[i]);
        }

        return count;
    }
}
