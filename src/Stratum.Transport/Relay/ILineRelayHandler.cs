namespace Stratum.Transport.Relay;

/// <summary>Which side of a relayed session bytes came from.</summary>
public enum RelaySide
{
    /// <summary>The accepted connection (the miner).</summary>
    Client,

    /// <summary>The connection the process opened (the pool node).</summary>
    Destination,
}

/// <summary>How a <see cref="LineRelay"/> ended.</summary>
public enum RelayEnd
{
    /// <summary>The destination ended its side; what it sent before reached the client.</summary>
    DestinationClosed,

    /// <summary>The client's socket failed, or the connection was closed under the relay.</summary>
    ClientFailed,

    /// <summary>The destination's socket failed, or was closed under the relay.</summary>
    DestinationFailed,

    /// <summary>The handler asked to end (<see cref="ILineRelayHandler.OnReceived"/> set its <c>close</c>).</summary>
    Closed,
}

/// <summary>
/// What a <see cref="LineRelay"/> asks of its owner. Called on the event loop's thread, one call at a time per
/// relay: nothing here may block.
/// </summary>
public interface ILineRelayHandler
{
    /// <summary>
    /// Looks at bytes received from <paramref name="from"/>, the unterminated line left by the last call first:
    /// returns how many of them, from the start, are complete lines. The first <paramref name="skip"/> of those are
    /// dropped (the other side has them already, see <see cref="LineRelay.TryInject"/>), the rest passed on. What
    /// follows the complete lines is kept and offered again with the next bytes. When <paramref name="close"/> is
    /// set, the relay passes on what was returned and ends with <see cref="RelayEnd.Closed"/>.
    /// </summary>
    int OnReceived(RelaySide from, ReadOnlySpan<byte> data, out int skip, out bool close);

    /// <summary>
    /// The client ended its side and the destination was told so (a half-close); the destination's side goes on
    /// until it ends too or the owner closes the sockets.
    /// </summary>
    void OnClientEnded();
}
