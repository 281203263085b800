using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;
using Stratum.Transport;
using StratumPool.Api;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Jobs;
using StratumPool.Metrics;
using StratumPool.Persistence;
using StratumPool.Stratum;

namespace StratumPool.Hosting;

/// <summary>
/// Builds the pool as its own <see cref="WebApplication"/> with two Kestrel listeners: Stratum on
/// <c>Pool:Endpoint</c> and the HTTP API (plus <c>/metrics</c>) on <c>Pool:Api:Endpoint</c>. The standalone host
/// runs it directly; another host runs it through <see cref="PoolHostedService"/> (see
/// <see cref="PoolServiceCollectionExtensions.AddStratumPool"/>), so the two never share a Kestrel configuration.
/// </summary>
public static class PoolApplication
{
    /// <param name="configuration">Holds the <c>Pool</c> section (and <c>Logging</c>, when no logger factory is given).</param>
    /// <param name="configureServices">Runs before the pool's own registrations, which are all <c>TryAdd</c>: tests put
    /// their clock, metric registry or chain side here.</param>
    /// <param name="loggerFactory">The embedding host's logging; the pool logs through it when given.</param>
    public static WebApplication Build(IConfiguration configuration, Action<IServiceCollection>? configureServices = null, ILoggerFactory? loggerFactory = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(PoolApplication).Assembly.GetName().Name });
        builder.Configuration.AddConfiguration(configuration);
        builder.WebHost.UseKestrelCore();
        // The Stratum port and the API read and write their sockets directly (no transport pipes), as the proxy's do,
        // but their sessions run on the thread pool: a share ends in a database write, which must not hold up a loop.
        builder.Services.AddSingleton<IConnectionListenerFactory>(services =>
            new DirectSocketTransportFactory(services.GetRequiredService<ILogger<DirectSocketListener>>(), inlineCompletions: false));
        builder.Services.AddRoutingCore();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }
        else
        {
            builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        }

        configureServices?.Invoke(builder.Services);
        AddPoolServices(builder.Services, configuration);

        var endpoints = new PoolEndpoints();
        builder.Services.AddSingleton(endpoints);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var services = kestrel.ApplicationServices;
            var options = services.GetRequiredService<IOptions<PoolOptions>>().Value;
            if (NetworkEndpoint.TryParse(options.Endpoint, out var stratum))
            {
                kestrel.Listen(stratum, listen =>
                {
                    endpoints.StratumListener = listen;
                    if (options.AcceptProxyProtocol)
                    {
                        listen.Use(services.GetRequiredService<ProxyProtocolMiddleware>().Create());
                    }

                    listen.UseConnectionHandler<StratumConnectionHandler>();
                });
            }

            if (NetworkEndpoint.TryParse(options.Api.Endpoint, out var api))
            {
                kestrel.Listen(api, listen => endpoints.ApiListener = listen);
            }
        });

        var app = builder.Build();
        app.UseRouting();
        app.MapPoolApi();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<CollectorRegistry>());
        return app;
    }

    /// <summary>The pool's own services (everything but Kestrel and logging).</summary>
    public static IServiceCollection AddPoolServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PoolOptions>().Bind(configuration.GetSection(PoolOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PoolOptions>, PoolOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Prometheus.Metrics.DefaultRegistry);
        services.TryAddSingleton<IMetricFactory>(sp => Prometheus.Metrics.WithCustomRegistry(sp.GetRequiredService<CollectorRegistry>()));
        services.TryAddSingleton<PoolMetrics>();
        services.TryAddSingleton(sp => new ShareRateTracker(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<PoolOptions>>().Value.HashrateWindow));

        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PoolOptions>>().Value;
            return new SqlitePoolStore(
                options.Storage.ConnectionString,
                options.Storage.MaxBatchSize,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<PoolMetrics>(),
                sp.GetRequiredService<ILogger<SqlitePoolStore>>());
        });
        services.TryAddSingleton<IShareStore>(sp => sp.GetRequiredService<SqlitePoolStore>());
        services.TryAddSingleton<IBlockStore>(sp => sp.GetRequiredService<SqlitePoolStore>());

        services.TryAddSingleton<ExtraNonceAllocator>();
        services.TryAddSingleton<StratumSessionRegistry>();
        services.TryAddSingleton<NotifyCache>();
        services.TryAddSingleton<StratumServerContext>();
        services.TryAddSingleton<StratumConnectionHandler>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PoolOptions>>().Value;
            return new ProxyProtocolMiddleware(
                new TrustedProxyList(options.TrustedProxies),
                options.HandshakeTimeout,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<PoolMetrics>(),
                sp.GetRequiredService<ILogger<ProxyProtocolMiddleware>>());
        });
        if (!services.Any(d => d.ServiceType == typeof(IJobManager)))
        {
            // The chain side (devnet or daemon client, job manager); tests may bring their own IJobManager.
            services.AddPoolChain(configuration);
            services.TryAddSingleton<IChainReader>(sp => new DaemonChainReader(sp.GetRequiredService<DaemonClient>()));
        }

        services.AddHostedService<StratumServerService>();
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<BlockConfirmationWatcherHost>(sp));
        services.TryAddSingleton<PoolApi>();
        return services;
    }
}

/// <summary>Runs the confirmation watcher only when the chain side offers an <see cref="IChainReader"/>.</summary>
internal sealed class BlockConfirmationWatcherHost(IServiceProvider services) : IHostedService
{
    private BlockConfirmationWatcher? _watcher;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IChainReader>() is null)
        {
            return Task.CompletedTask;
        }

        _watcher = ActivatorUtilities.CreateInstance<BlockConfirmationWatcher>(services);
        return _watcher.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _watcher?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
