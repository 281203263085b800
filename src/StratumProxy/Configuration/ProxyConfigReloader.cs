using System.Runtime.InteropServices;
using Microsoft.Extensions.Primitives;
using StratumProxy.Management;

namespace StratumProxy.Configuration;

/// <summary>
/// Re-reads the configuration when its file changes or on SIGHUP. A valid edit is applied whole; an invalid one
/// is logged with every error and the running configuration stays.
/// </summary>
public sealed partial class ProxyConfigReloader : IHostedService, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ProxyConfigState _state;
    private readonly ProxyMetrics _metrics;
    private readonly ILogger<ProxyConfigReloader> _logger;
    private IDisposable? _changeSubscription;
    private PosixSignalRegistration? _sighup;

    public ProxyConfigReloader(IConfiguration configuration, ProxyConfigState state, ProxyMetrics metrics, ILogger<ProxyConfigReloader> logger)
    {
        _configuration = configuration;
        _state = state;
        _metrics = metrics;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _changeSubscription = ChangeToken.OnChange(_configuration.GetReloadToken, () => Reload());
        if (!OperatingSystem.IsWindows() && _configuration is IConfigurationRoot root)
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                LogSignal(_logger);
                root.Reload(); // fires the reload token, which lands in Reload()
            });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Validates the configuration as it is now and applies it if valid; returns the errors otherwise.</summary>
    public IReadOnlyList<string> Reload()
    {
        try
        {
            var next = ProxyOptionsLoader.Load(_configuration);
            var listenerChanges = DescribeListenerEndpointChanges(_state.Current, next);
            if (listenerChanges is not null)
            {
                LogListenerChangeNeedsRestart(_logger, listenerChanges);
            }

            _state.Apply(next);
            _metrics.ConfigReloads.WithLabels(["applied"]).Inc();
            LogApplied(_logger);
            return [];
        }
        catch (ProxyConfigurationException ex)
        {
            _metrics.ConfigReloads.WithLabels(["rejected"]).Inc();
            LogRejected(_logger, string.Join("; ", ex.Errors));
            return ex.Errors;
        }
    }

    private static string? DescribeListenerEndpointChanges(ProxyOptions current, ProxyOptions next)
    {
        var changed = next.Listeners
            .Where(l => !current.Listeners.TryGetValue(l.Key, out var old) || old.Endpoint != l.Value.Endpoint || old.Tls != l.Value.Tls)
            .Select(l => l.Key)
            .Concat(current.Listeners.Keys.Where(k => !next.Listeners.ContainsKey(k)))
            .ToList();
        return changed.Count == 0 ? null : string.Join(", ", changed);
    }

    public void Dispose()
    {
        _changeSubscription?.Dispose();
        _changeSubscription = null;
        _sighup?.Dispose();
        _sighup = null;
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Configuration reloaded and applied.")]
    private static partial void LogApplied(ILogger logger);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Configuration edit rejected, the running configuration stays: {Errors}")]
    private static partial void LogRejected(ILogger logger, string errors);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "SIGHUP received: reloading the configuration.")]
    private static partial void LogSignal(ILogger logger);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Listeners added, removed or re-bound ({Listeners}): ports and TLS settings take effect at the next restart; limits and routing apply now.")]
    private static partial void LogListenerChangeNeedsRestart(ILogger logger, string listeners);
}
