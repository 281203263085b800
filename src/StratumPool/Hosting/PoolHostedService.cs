namespace StratumPool.Hosting;

/// <summary>
/// Runs the pool's own <see cref="WebApplication"/> inside another host (the proxy), with that host's
/// configuration and logging. Start-up fails (and so does the host) when the <c>Pool</c> section is invalid.
/// </summary>
public sealed class PoolHostedService(IConfiguration configuration, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The running pool's services (endpoints, stores); null before start.</summary>
    public IServiceProvider? Services => _app?.Services;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _app = PoolApplication.Build(configuration, loggerFactory: loggerFactory);
        await _app.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }
}

/// <summary>Hooks the pool into another ASP.NET Core host.</summary>
public static class PoolServiceCollectionExtensions
{
    /// <summary>
    /// Runs the bundled pool in this host when <c>Pool:Enabled</c> is true: its Stratum and API listeners are
    /// its own Kestrel instance (a <see cref="WebApplication"/> started by <see cref="PoolHostedService"/>), so the
    /// host's Kestrel configuration is untouched. Does nothing when the pool is disabled.
    /// </summary>
    public static IServiceCollection AddStratumPool(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>($"{PoolOptions.SectionName}:Enabled"))
        {
            services.AddSingleton<PoolHostedService>();
            services.AddHostedService(sp => sp.GetRequiredService<PoolHostedService>());
        }

        return services;
    }
}
