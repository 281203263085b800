using Stratum.Transport.EventLoop;

namespace StratumProxy.Routing;

/// <summary>
/// A connected socket to a destination and the session slot it holds. The forwarder owns both for the
/// session's life; disposing closes the socket and returns the slot.
/// </summary>
public sealed class DestinationConnection : IDisposable
{
    internal DestinationConnection(EpollSocket socket, DestinationLease lease, int attempts)
    {
        Socket = socket;
        Lease = lease;
        Attempts = attempts;
    }

    public EpollSocket Socket { get; }

    public DestinationLease Lease { get; }

    public DestinationState Destination => Lease.Destination;

    /// <summary>Connect attempts it took (1 when the first choice answered).</summary>
    public int Attempts { get; }

    public void Dispose()
    {
        Socket.Dispose();
        Lease.Dispose();
    }
}
