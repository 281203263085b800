namespace StratumProxy.Routing;

/// <summary>A session slot on a destination; disposing it (once, idempotently) gives the slot back.</summary>
public sealed class DestinationLease : IDisposable
{
    private int _released;

    internal DestinationLease(DestinationState destination) => Destination = destination;

    public DestinationState Destination { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Destination.Release();
        }
    }
}
