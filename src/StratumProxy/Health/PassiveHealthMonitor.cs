using System.Collections.Concurrent;
using StratumProxy.Routing;

namespace StratumProxy.Health;

/// <summary>
/// Passive health (nginx <c>max_fails</c>/<c>fail_timeout</c>): failed connects, and sessions the backend closed
/// before answering the miner's first request, count against a destination; <c>MaxFailures</c> of them within
/// <c>FailTimeout</c> keep it out of selection for <c>FailTimeout</c>.
/// </summary>
public sealed partial class PassiveHealthMonitor : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly RoutingMetrics _routingMetrics;
    private readonly HealthMetrics _healthMetrics;
    private readonly ILogger<PassiveHealthMonitor> _logger;
    private readonly ConcurrentDictionary<DestinationState, ITimer> _recoveryTimers = new();

    public PassiveHealthMonitor(TimeProvider timeProvider, RoutingMetrics routingMetrics, HealthMetrics healthMetrics, ILogger<PassiveHealthMonitor> logger)
    {
        _timeProvider = timeProvider;
        _routingMetrics = routingMetrics;
        _healthMetrics = healthMetrics;
        _logger = logger;
    }

    /// <summary>A connect attempt failed or timed out (the connector reports these itself).</summary>
    public void ReportConnectFailure(DestinationState destination, string reason)
    {
        destination.CountConnectFailure();
        _routingMetrics.CountConnectFailure(destination);
        LogConnectFailed(destination.Cluster.Name, destination.Name, reason);
        CountFailure(destination);
    }

    /// <summary>A connect succeeded (the connector reports these itself).</summary>
    public void ReportConnectSuccess(DestinationState destination) =>
        destination.RecordConnectSuccess(_timeProvider.GetUtcNow().UtcTicks);

    /// <summary>
    /// For the forwarder: the backend closed the session before answering the miner's first request
    /// (a pool that accepts and drops). Counts as a passive failure.
    /// </summary>
    public void ReportEarlyClose(DestinationState destination)
    {
        destination.CountEarlyClose();
        LogEarlyClose(destination.Cluster.Name, destination.Name);
        CountFailure(destination);
    }

    public void Dispose()
    {
        foreach (var timer in _recoveryTimers.Values)
        {
            timer.Dispose();
        }

        _recoveryTimers.Clear();
    }

    private void CountFailure(DestinationState destination)
    {
        var passive = destination.Cluster.Model.Options.HealthCheck.Passive;
        if (!passive.Enabled || destination.IsDraining)
        {
            return;
        }

        var now = _timeProvider.GetUtcNow().UtcTicks;
        if (destination.RecordPassiveFailure(now, passive.MaxFailures, passive.FailTimeout) != PassiveFailureOutcome.BecameUnavailable)
        {
            return;
        }

        LogUnavailable(destination.Cluster.Name, destination.Name, passive.MaxFailures, passive.FailTimeout);
        _healthMetrics.Publish(destination, now);
        ScheduleRecovery(destination, passive.FailTimeout);
    }

    /// <summary>Publishes the end of the unavailable period (selection needs no timer: it compares times).</summary>
    private void ScheduleRecovery(DestinationState destination, TimeSpan failTimeout)
    {
        var timer = _timeProvider.CreateTimer(
            static state =>
            {
                var (monitor, destination) = ((PassiveHealthMonitor, DestinationState))state!;
                monitor.OnRecoveryDue(destination);
            },
            (this, destination),
            failTimeout,
            Timeout.InfiniteTimeSpan);
        if (_recoveryTimers.TryGetValue(destination, out var previous))
        {
            previous.Dispose();
        }

        _recoveryTimers[destination] = timer;
    }

    private void OnRecoveryDue(DestinationState destination)
    {
        var now = _timeProvider.GetUtcNow().UtcTicks;
        if (now < destination.PassiveUnavailableUntilUtcTicks)
        {
            return;
        }

        if (_recoveryTimers.TryRemove(destination, out var timer))
        {
            timer.Dispose();
        }

        if (!destination.IsDraining)
        {
            _healthMetrics.Publish(destination, now);
            LogAvailableAgain(destination.Cluster.Name, destination.Name);
        }
    }
}
