using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Stratum.Transport;

/// <summary>A failed socket operation on a miner's connection as the exceptions Kestrel's transports use.</summary>
internal static class SocketErrors
{
    public static Exception ToConnectionException(Exception error) => error switch
    {
        SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown } ex
            => new ConnectionAbortedException("The connection was closed.", ex),
        SocketException ex => new ConnectionResetException(ex.Message, ex),
        ObjectDisposedException ex => new ConnectionAbortedException("The connection was closed.", ex),
        _ => error,
    };

    public static Exception ToConnectionException(SocketError error) => ToConnectionException(new SocketException((int)error));
}
