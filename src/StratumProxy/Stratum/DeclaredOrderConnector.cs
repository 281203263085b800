using System.Net;
using System.Net.Sockets;
using StratumProxy.Configuration;

namespace StratumProxy.Stratum;

/// <summary>Connects to a cluster's destinations in declared order until one answers (routing without policies).</summary>
public sealed class DeclaredOrderConnector : IUpstreamConnector
{
    private readonly ProxyConfigState _config;

    public DeclaredOrderConnector(ProxyConfigState config)
    {
        _config = config;
    }

    public async ValueTask<UpstreamLease?> ConnectAsync(string cluster, IPAddress client, string? worker, CancellationToken cancellationToken)
    {
        if (!_config.Current.Clusters.TryGetValue(cluster, out var options))
        {
            return null;
        }

        foreach (var (name, destination) in options.Destinations)
        {
            if (!EndpointParser.TryParse(destination.Address, out var endPoint))
            {
                continue;
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken);
                return new Lease(socket, name);
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
        }

        return null;
    }

    private sealed class Lease(Socket socket, string destination) : UpstreamLease
    {
        public override Socket Socket => socket;

        public override string Destination => destination;

        public override void ReportEarlyClose()
        {
        }

        public override void Dispose()
        {
        }
    }
}
