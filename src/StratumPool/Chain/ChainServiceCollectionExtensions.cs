using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using StratumPool.Daemon;
using StratumPool.Devnet;
using StratumPool.Jobs;

namespace StratumPool.Chain;

/// <summary>Registers the chain side of the pool: daemon client (or the in-process devnet) and the job manager.</summary>
public static class ChainServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="PoolOptions"/> from the <c>Pool</c> section and registers <see cref="DaemonClient"/>,
    /// <see cref="JobManager"/> (as <see cref="IJobManager"/> and a hosted service) and, on the devnet,
    /// <see cref="DevnetServer"/> (a hosted service started before the job manager).
    /// </summary>
    public static IServiceCollection AddPoolChain(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(PoolOptions.SectionName).Get<PoolOptions>() ?? new PoolOptions();
        return services.AddPoolChain(options);
    }

    public static IServiceCollection AddPoolChain(this IServiceCollection services, PoolOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        if (options.Network == ChainNetwork.Devnet)
        {
            services.AddSingleton(sp => new DevnetServer(options.Devnet, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DevnetServer>>()));
            services.AddSingleton<IDaemonEndpointSource>(sp => sp.GetRequiredService<DevnetServer>());
            services.AddHostedService(sp => sp.GetRequiredService<DevnetServer>());
        }
        else
        {
            services.AddSingleton<IDaemonEndpointSource>(new ConfiguredDaemonEndpoints(options.Daemons));
        }

        services.AddSingleton(sp => new DaemonMetrics(sp.GetService<IMetricFactory>() ?? Prometheus.Metrics.DefaultFactory));
        services.AddSingleton(sp => new DaemonClient(
            new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(60) },
            sp.GetRequiredService<IDaemonEndpointSource>(),
            sp.GetRequiredService<DaemonMetrics>(),
            sp.GetRequiredService<ILogger<DaemonClient>>()));
        services.AddSingleton<JobManager>();
        services.AddSingleton<IJobManager>(sp => sp.GetRequiredService<JobManager>());
        services.AddHostedService(sp => sp.GetRequiredService<JobManager>());
        return services;
    }
}
