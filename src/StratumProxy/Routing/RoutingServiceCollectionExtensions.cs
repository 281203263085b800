using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using StratumProxy.Health;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Routing;

public static class RoutingServiceCollectionExtensions
{
    /// <summary>
    /// Registers clusters, load balancing, the destination connector and passive and active health.
    /// The host still has to call <see cref="ClusterRegistry.Apply"/> with the validated configuration at start-up
    /// and on every reload.
    /// </summary>
    public static IServiceCollection AddStratumRouting(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMetricFactory>(_ => Metrics.DefaultFactory);
        services.TryAddSingleton(new DestinationSocketOptions());
        services.TryAddSingleton(_ => LoadBalancingPolicyRegistry.CreateDefault());
        services.TryAddSingleton<DestinationSocketFactory>();
        services.TryAddSingleton<RoutingMetrics>();
        services.TryAddSingleton<HealthMetrics>();
        services.TryAddSingleton<ClusterRegistry>();
        services.TryAddSingleton<PassiveHealthMonitor>();
        services.TryAddSingleton<DestinationConnector>();
        services.TryAddSingleton<TcpHealthProbe>();
        services.TryAddSingleton<StratumHealthProbe>();
        services.TryAddSingleton<ActiveHealthChecker>();
        services.AddHostedService(provider => provider.GetRequiredService<ActiveHealthChecker>());
        return services;
    }
}
