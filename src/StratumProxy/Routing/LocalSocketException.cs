using System.Net.Sockets;

namespace StratumProxy.Routing;

/// <summary>
/// The proxy could not open a socket of its own (out of file descriptors or kernel buffers). Not the destination's
/// fault: it is not reported to health and not retried on another destination; only this session goes without.
/// </summary>
public sealed class LocalSocketException(SocketException inner)
    : Exception($"No socket could be opened: {inner.Message}", inner)
{
    public SocketError SocketErrorCode { get; } = inner.SocketErrorCode;
}
