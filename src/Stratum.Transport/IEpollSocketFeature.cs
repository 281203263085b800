using Stratum.Transport.EventLoop;

namespace Stratum.Transport;

/// <summary>The socket under a connection of this transport, so a session can put its pool side on the same loop.</summary>
public interface IEpollSocketFeature
{
    EpollSocket Socket { get; }
}
