using System.Net.Sockets;
using Polly;
using Polly.Timeout;
using StratumProxy.Health;

namespace StratumProxy.Routing;

/// <summary>
/// Reaches a destination for a new session: picks by the cluster's policy (taking a slot), connects, and on a
/// failure reports it to passive health, excludes that destination and tries the next eligible one, all within
/// the cluster's <c>ConnectTimeout</c>. The first attempt runs on its own with its share of the budget; only after it
/// fails do the rest go through the cluster's Polly pipeline (<see cref="ConnectPipeline"/>). Nearly every session
/// connects at the first attempt, and the pipeline's strategies left about 2 KB of garbage per connect, which an idle
/// proxy keeps as heap after a burst of new miners (docs/benchmarks.md).
/// </summary>
public sealed partial class DestinationConnector
{
    private readonly DestinationSocketFactory _sockets;
    private readonly PassiveHealthMonitor _passiveHealth;
    private readonly ILogger<DestinationConnector> _logger;

    public DestinationConnector(DestinationSocketFactory sockets, PassiveHealthMonitor passiveHealth, ILogger<DestinationConnector> logger)
    {
        _sockets = sockets;
        _passiveHealth = passiveHealth;
        _logger = logger;
    }

    /// <summary>Looks the cluster up by name (as a listener names it), then connects as below.</summary>
    /// <exception cref="NoDestinationException">Also with <see cref="NoDestinationReason.UnknownCluster"/>.</exception>
    public ValueTask<DestinationConnection> ConnectAsync(ClusterRegistry clusters, string clusterName, RoutingKey key, CancellationToken cancellationToken) =>
        clusters.TryGetCluster(clusterName, out var cluster)
            ? ConnectAsync(cluster, key, cancellationToken)
            : ValueTask.FromException<DestinationConnection>(new NoDestinationException(clusterName, NoDestinationReason.UnknownCluster, 0));

    /// <summary>
    /// A connected destination for one session, its slot held until the result is disposed.
    /// </summary>
    /// <exception cref="NoDestinationException">Nothing eligible, everything failed, or the budget ran out.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the miner left).</exception>
    public async ValueTask<DestinationConnection> ConnectAsync(ClusterState cluster, RoutingKey key, CancellationToken cancellationToken)
    {
        var model = cluster.Model;
        var attempt = new ConnectAttempt(cluster, model, key, cancellationToken);
        try
        {
            // The first attempt, bounded by its share of the budget; when it fails, the pipeline tries the next.
            using (var timeout = new CancellationTokenSource(ConnectPipeline.AtLeastMinimum(attempt.NextAttemptTimeout()), cluster.TimeProvider))
            using (cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout))
            {
                try
                {
                    return await AttemptAsync(attempt, timeout.Token).ConfigureAwait(false);
                }
                catch (DestinationConnectException)
                {
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }

            // Polly runs no timeout shorter than the minimum: a budget down to it is spent.
            if (attempt.RemainingBudget() < ConnectPipeline.MinimumTimeout)
            {
                throw new NoDestinationException(cluster.Name, NoDestinationReason.Timeout, attempt.Tried.Count);
            }

            return await RetryAsync(attempt).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogNoDestination(cluster.Name, NoDestinationReason.Timeout, attempt.Tried.Count);
            throw new NoDestinationException(cluster.Name, NoDestinationReason.Timeout, attempt.Tried.Count, e);
        }
        catch (NoDestinationException e)
        {
            LogNoDestination(cluster.Name, e.Reason, e.Attempts);
            throw;
        }
    }

    private async ValueTask<DestinationConnection> RetryAsync(ConnectAttempt attempt)
    {
        var context = ResilienceContextPool.Shared.Get(attempt.CallerToken);
        context.Properties.Set(ConnectPipeline.AttemptKey, attempt);
        try
        {
            return await attempt.Model.ConnectPipeline.ExecuteAsync(
                static (context, state) => state.Connector.AttemptAsync(state.Attempt, context.CancellationToken),
                context,
                (Connector: this, Attempt: attempt)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async ValueTask<DestinationConnection> AttemptAsync(ConnectAttempt attempt, CancellationToken cancellationToken)
    {
        var lease = attempt.Cluster.TryAcquireDestination(attempt.Key, attempt.TriedSpan)
            ?? throw new NoDestinationException(
                attempt.Cluster.Name,
                attempt.Tried.Count == 0 ? NoDestinationReason.NoneAvailable : NoDestinationReason.AllFailed,
                attempt.Tried.Count);
        var destination = lease.Destination;
        attempt.Tried.Add(destination);
        try
        {
            var socket = await _sockets.ConnectAsync(destination.Address, cancellationToken).ConfigureAwait(false);
            _passiveHealth.ReportConnectSuccess(destination);
            return new DestinationConnection(socket, lease, attempt.Tried.Count);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lease.Dispose();
            if (!attempt.CallerToken.IsCancellationRequested)
            {
                // The attempt's share of the budget (or the whole budget) ran out: the destination did not answer.
                _passiveHealth.ReportConnectFailure(destination, "timeout");
            }

            // Left as a cancellation so Polly's timeouts turn it into a retry or the overall timeout.
            throw;
        }
        catch (LocalSocketException e)
        {
            // Counted as no destination for this session only; the destination keeps its health.
            lease.Dispose();
            throw new NoDestinationException(attempt.Cluster.Name, NoDestinationReason.NoLocalSocket, attempt.Tried.Count, e);
        }
        catch (SocketException e)
        {
            lease.Dispose();
            _passiveHealth.ReportConnectFailure(destination, e.SocketErrorCode.ToString());
            throw new DestinationConnectException(destination, e);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}
