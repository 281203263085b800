using System.Net.Sockets;
using StratumProxy.Configuration;
using StratumProxy.Routing;

namespace StratumProxy.Health;

/// <summary>The <c>Tcp</c> probe: the destination accepts a connection.</summary>
public sealed class TcpHealthProbe(DestinationSocketFactory sockets) : IHealthProbe
{
    public async Task<HealthProbeResult> ProbeAsync(DestinationAddress address, ActiveHealthCheckOptions options, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = await sockets.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            return HealthProbeResult.Success;
        }
        catch (SocketException)
        {
            return HealthProbeResult.ConnectFailed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return HealthProbeResult.Timeout;
        }
    }
}
