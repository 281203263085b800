using StratumProxy.Configuration;
using StratumProxy.Routing;

namespace StratumProxy.Health;

/// <summary>
/// Active health checks: one loop per cluster with <c>HealthCheck:Active:Enabled</c>, probing every destination
/// each <c>Interval</c> (first round at once). <c>UnhealthyThreshold</c> consecutive failures take a destination
/// out of selection, <c>HealthyThreshold</c> consecutive successes bring it back. Probes take no session slot.
/// Loops follow reloads: started, restarted with new settings, or stopped.
/// </summary>
public sealed partial class ActiveHealthChecker : BackgroundService
{
    private readonly Lock _loopsGate = new();
    private readonly Dictionary<ClusterState, ClusterLoop> _loops = [];
    private readonly ClusterRegistry _registry;
    private readonly TcpHealthProbe _tcpProbe;
    private readonly StratumHealthProbe _stratumProbe;
    private readonly HealthMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ActiveHealthChecker> _logger;
    private CancellationToken _stopping = new(canceled: true);

    public ActiveHealthChecker(
        ClusterRegistry registry,
        TcpHealthProbe tcpProbe,
        StratumHealthProbe stratumProbe,
        HealthMetrics metrics,
        TimeProvider timeProvider,
        ILogger<ActiveHealthChecker> logger)
    {
        _registry = registry;
        _tcpProbe = tcpProbe;
        _stratumProbe = stratumProbe;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Names of the clusters whose loop is running, for status and tests.</summary>
    public IReadOnlyCollection<string> ProbedClusters
    {
        get
        {
            lock (_loopsGate)
            {
                return [.. _loops.Keys.Select(cluster => cluster.Name)];
            }
        }
    }

    /// <summary>One probe round over every destination of <paramref name="cluster"/>; the loops call this each interval.</summary>
    public async Task ProbeClusterAsync(ClusterState cluster, CancellationToken cancellationToken)
    {
        var model = cluster.Model;
        var options = model.Options.HealthCheck.Active;
        var probes = new Task[model.Destinations.Length];
        for (var i = 0; i < probes.Length; i++)
        {
            probes[i] = ProbeDestinationAsync(model.Destinations[i], options, cancellationToken);
        }

        await Task.WhenAll(probes).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lock (_loopsGate)
        {
            _stopping = stoppingToken;
        }

        _registry.Changed += OnRegistryChanged;
        try
        {
            Reconcile();
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _registry.Changed -= OnRegistryChanged;
            Task[] running;
            lock (_loopsGate)
            {
                running = [.. _loops.Values.Select(loop => loop.Stop())];
                _loops.Clear();
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private void OnRegistryChanged(object? sender, EventArgs e) => Reconcile();

    private void Reconcile()
    {
        lock (_loopsGate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            var wanted = _registry.Clusters
                .Select(cluster => (Cluster: cluster, Options: cluster.Model.Options.HealthCheck.Active))
                .Where(entry => entry.Options.Enabled)
                .ToDictionary(entry => entry.Cluster, entry => entry.Options);

            foreach (var (cluster, loop) in _loops.ToArray())
            {
                if (!wanted.TryGetValue(cluster, out var options) || options != loop.Options)
                {
                    _ = loop.Stop();
                    _loops.Remove(cluster);
                }
            }

            foreach (var (cluster, options) in wanted)
            {
                if (!_loops.ContainsKey(cluster))
                {
                    _loops[cluster] = ClusterLoop.Start(this, cluster, options, _stopping);
                }
            }
        }
    }

    private async Task RunAsync(ClusterState cluster, ActiveHealthCheckOptions options, CancellationToken cancellationToken)
    {
        LogLoopStarted(cluster.Name, options.Probe, options.Interval);
        using var timer = new PeriodicTimer(options.Interval, _timeProvider);
        try
        {
            do
            {
                await ProbeClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeDestinationAsync(DestinationState destination, ActiveHealthCheckOptions options, CancellationToken cancellationToken)
    {
        IHealthProbe probe = options.Probe == HealthProbeKind.Stratum ? _stratumProbe : _tcpProbe;
        HealthProbeResult result;
        using (var timeout = new CancellationTokenSource(options.Timeout, _timeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            try
            {
                result = await probe.ProbeAsync(destination.Address, options, linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogProbeError(destination.Cluster.Name, destination.Name, e);
                result = HealthProbeResult.BadResponse;
            }
        }

        // A probe cut short by shutdown or a reload says nothing about the destination.
        cancellationToken.ThrowIfCancellationRequested();
        _metrics.CountProbe(destination, result);
        var success = result == HealthProbeResult.Success;
        var (before, after) = destination.RecordProbeResult(success, options.UnhealthyThreshold, options.HealthyThreshold);
        _metrics.Publish(destination, _timeProvider.GetUtcNow().UtcTicks);
        if (before == after)
        {
            return;
        }

        if (after == ActiveHealthState.Unhealthy)
        {
            LogBecameUnhealthy(destination.Cluster.Name, destination.Name, destination.ConsecutiveProbeFailures, result.MetricLabel());
        }
        else if (before == ActiveHealthState.Unhealthy)
        {
            LogBecameHealthy(destination.Cluster.Name, destination.Name, destination.ConsecutiveProbeSuccesses);
        }
        else
        {
            LogFirstHealthy(destination.Cluster.Name, destination.Name);
        }
    }

    private sealed class ClusterLoop
    {
        private readonly CancellationTokenSource _cancellation;
        private Task _task = Task.CompletedTask;

        private ClusterLoop(ActiveHealthCheckOptions options, CancellationTokenSource cancellation)
        {
            Options = options;
            _cancellation = cancellation;
        }

        public ActiveHealthCheckOptions Options { get; }

        public static ClusterLoop Start(ActiveHealthChecker checker, ClusterState cluster, ActiveHealthCheckOptions options, CancellationToken stopping)
        {
            var loop = new ClusterLoop(options, CancellationTokenSource.CreateLinkedTokenSource(stopping));
            loop._task = Task.Run(() => checker.RunAsync(cluster, options, loop._cancellation.Token));
            return loop;
        }

        public async Task Stop()
        {
            await _cancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await _task.ConfigureAwait(false);
            }
            finally
            {
                _cancellation.Dispose();
            }
        }
    }
}
