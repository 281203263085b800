namespace StratumProxy.Routing;

/// <summary>One connect attempt to <see cref="Destination"/> failed; the connector moves on to the next one.</summary>
public sealed class DestinationConnectException(DestinationState destination, Exception inner)
    : Exception($"Connecting to {destination} failed: {inner.Message}", inner)
{
    public DestinationState Destination { get; } = destination;
}
