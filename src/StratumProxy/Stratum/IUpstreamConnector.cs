using System.Net;
using Stratum.Transport.EventLoop;

namespace StratumProxy.Stratum;

/// <summary>Finds and connects a destination of a cluster for a new session (routing, retries, health reporting).</summary>
public interface IUpstreamConnector
{
    /// <summary>A connected socket to a chosen destination, or null when no destination of the cluster is reachable.</summary>
    ValueTask<UpstreamLease?> ConnectAsync(string cluster, IPAddress client, string? worker, CancellationToken cancellationToken);
}

/// <summary>A connected destination; disposing it closes the socket and gives the destination's session slot back.</summary>
public abstract class UpstreamLease : IDisposable
{
    public abstract EpollSocket Socket { get; }

    public abstract string Destination { get; }

    /// <summary>
    /// The destination was removed by a reload and its drain time is over. The connector then closes the sessions
    /// it finds on it; a session that connected meanwhile checks this itself.
    /// </summary>
    public abstract bool DrainExpired { get; }

    /// <summary>Tells passive health the destination closed the session before answering anything.</summary>
    public abstract void ReportEarlyClose();

    public abstract void Dispose();
}
