using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;
using StratumProxy.Configuration;

namespace StratumProxy.Filtering;

/// <summary>Registration of the connection filters and their place in a listener's middleware chain.</summary>
public static class FilteringServiceCollectionExtensions
{
    /// <summary>
    /// Registers the shared state of the filters as singletons: <see cref="FilterMetrics"/>, <see cref="IBanStore"/>
    /// (<see cref="FileBanStore"/> on <c>{DataPath}/bans.json</c>), <see cref="BanPolicy"/>, <see cref="ICountryLookup"/>
    /// (<see cref="MaxMindCountryLookup"/> when <c>Proxy:Geo:Database</c> is set), <see cref="IConnectionCounter"/> and
    /// <see cref="ConnectionRateLimiter"/>. Needs <see cref="IOptionsMonitor{ProxyOptions}"/>; uses
    /// <see cref="TimeProvider.System"/> and the default metric registry unless others are registered first.
    /// </summary>
    public static IServiceCollection AddConnectionFilters(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMetricFactory>(_ => Metrics.DefaultFactory);
        services.TryAddSingleton(sp => new FilterMetrics(sp.GetRequiredService<IMetricFactory>()));
        services.TryAddSingleton<IBanStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<ProxyOptions>>().CurrentValue;
            var root = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
            return new FileBanStore(
                Path.Combine(root, options.DataPath, FileBanStore.FileName),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<FileBanStore>>());
        });
        services.TryAddSingleton(sp =>
        {
            var monitor = sp.GetRequiredService<IOptionsMonitor<ProxyOptions>>();
            return new BanPolicy(
                () => monitor.CurrentValue.Banning,
                sp.GetRequiredService<IBanStore>(),
                sp.GetRequiredService<FilterMetrics>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<BanPolicy>>());
        });
        services.TryAddSingleton<ICountryLookup>(sp =>
        {
            var path = sp.GetRequiredService<IOptionsMonitor<ProxyOptions>>().CurrentValue.Geo.Database;
            if (string.IsNullOrWhiteSpace(path))
            {
                return NoCountryLookup.Instance;
            }

            var root = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? Directory.GetCurrentDirectory();
            return new MaxMindCountryLookup(
                Path.Combine(root, path),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<MaxMindCountryLookup>>());
        });
        services.TryAddSingleton<IConnectionCounter, InMemoryConnectionCounter>();
        services.TryAddSingleton<ConnectionRateLimiter>();
        return services;
    }

    /// <summary>
    /// Adds, in order, the ban, geo, per-address/total connection limit and new-connection rate filters to
    /// <paramref name="listenOptions"/>. Call it after the PROXY protocol middleware (so the real client address is
    /// seen) and before TLS (so refused connections cost no handshake).
    /// </summary>
    public static ListenOptions UseConnectionFilters(this ListenOptions listenOptions, string listener)
    {
        var services = listenOptions.ApplicationServices;
        var monitor = services.GetRequiredService<IOptionsMonitor<ProxyOptions>>();
        ProxyOptions Current() => monitor.CurrentValue;
        var metrics = services.GetRequiredService<FilterMetrics>();

        listenOptions.Use(BanFilterMiddleware.Create(
            listener, services.GetRequiredService<BanPolicy>(), metrics,
            services.GetRequiredService<ILogger<BanFilterMiddleware>>()));
        listenOptions.Use(GeoFilterMiddleware.Create(
            listener, Current, services.GetRequiredService<ICountryLookup>(), metrics,
            services.GetRequiredService<ILogger<GeoFilterMiddleware>>()));
        listenOptions.Use(ConnectionLimitMiddleware.Create(
            listener, Current, services.GetRequiredService<IConnectionCounter>(), metrics,
            services.GetRequiredService<ILogger<ConnectionLimitMiddleware>>()));
        listenOptions.Use(ConnectionRateLimitMiddleware.Create(
            listener, Current, services.GetRequiredService<ConnectionRateLimiter>(), metrics,
            services.GetRequiredService<ILogger<ConnectionRateLimitMiddleware>>()));
        return listenOptions;
    }
}
