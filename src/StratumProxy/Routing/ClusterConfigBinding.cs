using StratumProxy.Configuration;

namespace StratumProxy.Routing;

/// <summary>
/// Keeps the <see cref="ClusterRegistry"/> in step with the configuration in force: applied at start-up (an
/// invalid cluster section stops the host), and again after each reload. A reload the routing layer refuses
/// is logged and the clusters keep running as they were. The first apply happens on construction, which the
/// host does for every hosted service before starting any, so no session can arrive before the clusters exist.
/// </summary>
public sealed partial class ClusterConfigBinding : IHostedService, IDisposable
{
    private readonly ProxyConfigState _config;
    private readonly ClusterRegistry _clusters;
    private readonly ILogger<ClusterConfigBinding> _logger;

    public ClusterConfigBinding(ProxyConfigState config, ClusterRegistry clusters, ILogger<ClusterConfigBinding> logger)
    {
        _config = config;
        _clusters = clusters;
        _logger = logger;
        _clusters.Apply(_config.Current);
        _config.Changed += OnConfigChanged;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _config.Changed -= OnConfigChanged;

    private void OnConfigChanged(ProxyOptions previous, ProxyOptions next)
    {
        try
        {
            _clusters.Apply(next);
        }
        catch (RoutingConfigurationException e)
        {
            LogReloadRefused(string.Join("; ", e.Errors));
        }
    }

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Cluster configuration not applied; the previous clusters keep running: {Errors}")]
    private partial void LogReloadRefused(string errors);
}
