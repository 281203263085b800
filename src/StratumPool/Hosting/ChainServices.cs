using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Jobs;
using StratumPool.Persistence;

namespace StratumPool.Hosting;

/// <summary>Registers the chain side (daemon client, job manager) for the pool's host.</summary>
public static class ChainServices
{
    public static IServiceCollection AddPoolChain(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChainOptions>().Bind(configuration.GetSection(ChainOptions.SectionName));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<ChainOptions>>().Value);
        services.TryAddSingleton<DaemonMetrics>();
        services.TryAddSingleton<IDaemonEndpointSource>(sp => new ConfiguredDaemonEndpoints(sp.GetRequiredService<ChainOptions>().Daemons));
        services.TryAddSingleton(sp => new DaemonClient(
            new HttpClient(),
            sp.GetRequiredService<IDaemonEndpointSource>(),
            sp.GetRequiredService<DaemonMetrics>(),
            sp.GetRequiredService<ILogger<DaemonClient>>()));
        services.TryAddSingleton<JobManager>();
        services.TryAddSingleton<IJobManager>(sp => sp.GetRequiredService<JobManager>());
        services.TryAddSingleton<IChainReader, DaemonChainReader>();

        // Runs the job manager's polling when the registered IJobManager is a hosted service.
        services.AddHostedService<JobManagerRunner>();
        return services;
    }

    private sealed class JobManagerRunner(IJobManager jobs) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => (jobs as IHostedService)?.StartAsync(cancellationToken) ?? Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => (jobs as IHostedService)?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }
}

/// <summary>The confirmation watcher's view of the chain, through the daemon client.</summary>
public sealed class DaemonChainReader(DaemonClient daemon) : IChainReader
{
    public async Task<long> GetBlockCountAsync(CancellationToken cancellationToken) =>
        (await daemon.GetBlockchainInfoAsync(cancellationToken)).Blocks;

    public async Task<string?> GetBlockHashAsync(long height, CancellationToken cancellationToken)
    {
        try
        {
            return await daemon.GetBlockHashAsync(height, cancellationToken);
        }
        catch (DaemonRpcException)
        {
            return null;
        }
    }
}
