using System.Runtime.CompilerServices;

namespace Stratum.Transport.EventLoop;

/// <summary>
/// A lock for short critical sections that one thread nearly always takes alone, such as a loop's work on a
/// session, which another thread enters only to close it: one compare-and-swap to enter and a store to leave, where
/// <c>lock</c> on an object costs about three times that. Not re-entrant; keep it in a field that is not
/// <c>readonly</c>, since it is a mutable struct.
/// </summary>
public struct SpinGate
{
    private int _taken;

    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _taken, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    public void Exit() => Volatile.Write(ref _taken, 0);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterContended()
    {
        // The holder may be in a system call: spin briefly, then yield and sleep rather than burn its core.
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce();
        }
        while (Volatile.Read(ref _taken) != 0 || Interlocked.CompareExchange(ref _taken, 1, 0) != 0);
    }
}
