using Stratum.Transport.EventLoop;
using Stratum.Transport.Relay;

namespace Stratum.Transport;

/// <summary>
/// Lets a session hand a plain connection's socket to a <see cref="LineRelay"/>, which forwards lines on the event
/// loop's thread without the connection's pipes.
/// </summary>
public interface ILineRelayFeature
{
    /// <summary>
    /// Starts relaying between this connection's socket and <paramref name="destination"/> (on the same loop);
    /// what the connection's reader received and nobody consumed goes first. A connection that took over its TLS
    /// records relays plaintext through them. Null when the connection cannot: a read or a send is in progress, or
    /// the pipeline put other pipes in front of its own (a TLS stream). The pipes are unusable once it started.
    /// </summary>
    LineRelay? TryStartRelay(EpollSocket destination, ILineRelayHandler handler);
}
