using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using StratumProxy.Configuration;
using StratumProxy.Listeners;
using StratumProxy.Stratum;

namespace StratumProxy.Filtering;

/// <summary>Registration of the connection filters and their place in a listener's middleware chain.</summary>
public static class FilteringServiceCollectionExtensions
{
    /// <summary>
    /// Registers the filters' shared state as singletons: <see cref="FilterMetrics"/>, <see cref="IBanStore"/>
    /// (<see cref="FileBanStore"/> on <c>{DataPath}/bans.json</c>), <see cref="BanPolicy"/>, <see cref="ICountryLookup"/>
    /// (<see cref="MaxMindCountryLookup"/> when <c>Proxy:Geo:Database</c> is set), <see cref="IConnectionCounter"/>,
    /// <see cref="ConnectionRateLimiter"/>; plus the <see cref="ConnectionFilterStage"/> listener stage and the
    /// <see cref="BanShareObserver"/>. Needs <see cref="ProxyConfigState"/>; uses <see cref="TimeProvider.System"/> and
    /// the default metric registry unless others are registered.
    /// </summary>
    public static IServiceCollection AddConnectionFilters(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMetricFactory>(_ => Metrics.DefaultFactory);
        services.TryAddSingleton(sp => new FilterMetrics(sp.GetRequiredService<IMetricFactory>()));
        services.TryAddSingleton(_ => DescriptorBudget.FromProcess());
        services.TryAddSingleton<IBanStore>(sp => new FileBanStore(
            Path.Combine(ContentRoot(sp), Config(sp).Current.DataPath, FileBanStore.FileName),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<FileBanStore>>()));
        services.TryAddSingleton(sp =>
        {
            var config = Config(sp);
            return new BanPolicy(
                () => config.Current.Banning,
                sp.GetRequiredService<IBanStore>(),
                sp.GetRequiredService<FilterMetrics>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<BanPolicy>>());
        });
        services.TryAddSingleton<ICountryLookup>(sp =>
        {
            var path = Config(sp).Current.Geo.Database;
            return string.IsNullOrWhiteSpace(path)
                ? NoCountryLookup.Instance
                : new MaxMindCountryLookup(
                    Path.Combine(ContentRoot(sp), path),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<MaxMindCountryLookup>>());
        });
        services.TryAddSingleton<IConnectionCounter, InMemoryConnectionCounter>();
        services.TryAddSingleton<ConnectionRateLimiter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IListenerStage, ConnectionFilterStage>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IShareObserver, BanShareObserver>());
        return services;
    }

    /// <summary>
    /// Adds, in order, the ban, geo, connection limit (total and per address) and new-connection rate filters to
    /// <paramref name="listenOptions"/>. Call it after the PROXY protocol middleware (so the real client address is
    /// seen) and before TLS (so refused connections cost no handshake). Limits are read from
    /// <see cref="ProxyConfigState.Current"/> on each connection, so a reload applies to the next one.
    /// </summary>
    public static ListenOptions UseConnectionFilters(this ListenOptions listenOptions, string listener)
    {
        var services = listenOptions.ApplicationServices;
        var config = Config(services);
        ProxyOptions Current() => config.Current;
        var metrics = services.GetRequiredService<FilterMetrics>();

        listenOptions.Use(BanFilterMiddleware.Create(
            listener, services.GetRequiredService<BanPolicy>(), metrics,
            services.GetRequiredService<ILogger<BanFilterMiddleware>>()));
        listenOptions.Use(GeoFilterMiddleware.Create(
            listener, Current, services.GetRequiredService<ICountryLookup>(), metrics,
            services.GetRequiredService<ILogger<GeoFilterMiddleware>>()));
        listenOptions.Use(ConnectionLimitMiddleware.Create(
            listener, Current, services.GetRequiredService<IConnectionCounter>(), metrics,
            services.GetRequiredService<ILogger<ConnectionLimitMiddleware>>(),
            services.GetService<DescriptorBudget>()));
        listenOptions.Use(ConnectionRateLimitMiddleware.Create(
            listener, Current, services.GetRequiredService<ConnectionRateLimiter>(), metrics,
            services.GetRequiredService<ILogger<ConnectionRateLimitMiddleware>>()));
        return listenOptions;
    }

    private static ProxyConfigState Config(IServiceProvider services) => services.GetRequiredService<ProxyConfigState>();

    private static string ContentRoot(IServiceProvider services) =>
        services.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
}
