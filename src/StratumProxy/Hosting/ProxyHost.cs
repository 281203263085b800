using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;
using Stratum.Transport;
using StratumPool.Hosting;
using StratumProxy.Configuration;
using StratumProxy.Filtering;
using StratumProxy.Listeners;
using StratumProxy.Management;
using StratumProxy.Memory;
using StratumProxy.Routing;
using StratumProxy.Stratum;
using StratumProxy.Tls;

namespace StratumProxy.Hosting;

/// <summary>Builds the proxy's host: configuration, services, Kestrel listeners and the management endpoint.</summary>
public static class ProxyHost
{
    /// <summary>
    /// Builds the application from command-line arguments. Throws <see cref="ProxyConfigurationException"/>
    /// when the configuration is invalid.
    /// </summary>
    /// <param name="configure">Extra registrations (tests swap the clock or add stages here).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var (configPath, remainingArgs) = ProxyConfigurationSources.Resolve(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = remainingArgs,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        ProxyConfigurationSources.Apply(builder.Configuration, configPath, remainingArgs);
        var options = ProxyOptionsLoader.Load(builder.Configuration);

        builder.Services.AddProxyServices(options);
        builder.Services.AddStratumTls(options, builder.Configuration);
        builder.Services.AddStratumPool(builder.Configuration);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Limits.DrainTimeout + TimeSpan.FromSeconds(5));
        // Logs go to the console (the journal, Docker's log driver). The default debugger and event-source providers
        // would each add a scope object to every connection Kestrel opens, for output nobody reads in production.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        builder.Host.UseSystemd();
        // UseSystemd sets its own console format; an operator's Logging:Console choice (e.g. json) still wins.
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));
        // Every listener, Stratum and management, reads and writes its sockets directly (no transport pipes);
        // Kestrel picks the factory registered last.
        builder.Services.AddSingleton<IConnectionListenerFactory, DirectSocketTransportFactory>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var state = kestrel.ApplicationServices.GetRequiredService<ProxyConfigState>();
            kestrel.ApplicationServices.GetRequiredService<StratumListenerBuilder>().Configure(kestrel, state.Current);
            ListenManagement(kestrel, state.Current.Management, kestrel.ApplicationServices.GetRequiredService<ListenerEndpoints>());
        });

        configure?.Invoke(builder);
        var app = builder.Build();
        ApplyRouting(app.Services);
        app.Services.GetRequiredService<StatusReportBuilder>(); // created now, so the reported uptime starts at start-up
        app.MapProxyManagement();
        app.Lifetime.ApplicationStarted.Register(() => ListenerStartupLog.Write(
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ListenerStartupLog)),
            app.Services.GetRequiredService<ListenerEndpoints>(),
            app.Services.GetRequiredService<ProxyConfigState>().Current,
            app.Services.GetService<DescriptorBudget>()));
        return app;
    }

    public static IServiceCollection AddProxyServices(this IServiceCollection services, ProxyOptions options)
    {
        var registry = Metrics.NewCustomRegistry();
        services.AddSingleton(registry);
        services.AddSingleton<IMetricFactory>(Metrics.WithCustomRegistry(registry));
        services.AddSingleton<ProxyMetrics>();
        services.AddSingleton(new ProxyConfigState(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<HashrateEstimator>(sp => new HashrateEstimator(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ShareAccounting>();
        services.AddSingleton<NotifyBroadcasts>();
        services.AddSingleton<StratumSessionHandler>();
        services.AddSingleton<ListenerEndpoints>();
        services.AddSingleton<StratumListenerBuilder>();
        services.AddSingleton<ManagementAccess>();
        services.AddSingleton<StatusReportBuilder>();
        services.AddSingleton<IPoolStatusSource, PoolApiStatusSource>();
        services.AddSingleton<IPoolStatusSource, BundledPoolStatusSource>();
        services.AddStratumRouting();
        services.AddConnectionFilters();
        services.AddSingleton<ClusterUpstreamConnector>();
        services.AddSingleton<IUpstreamConnector>(sp => sp.GetRequiredService<ClusterUpstreamConnector>());
        services.AddSingleton<IDestinationStatusSource>(sp => sp.GetRequiredService<ClusterUpstreamConnector>());
        services.AddSingleton<ProxyConfigReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<ProxyConfigReloader>());
        services.AddHostedService<SessionTimeoutSweeper>();
        services.AddHostedService<HeapTrimmer>();
        return services;
    }

    /// <summary>Builds the routing model from the configuration now and again after every applied reload.</summary>
    private static void ApplyRouting(IServiceProvider services)
    {
        var state = services.GetRequiredService<ProxyConfigState>();
        var clusters = services.GetRequiredService<ClusterRegistry>();
        clusters.Apply(state.Current);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProxyHost));
        state.Changed += (_, next) =>
        {
            try
            {
                clusters.Apply(next);
            }
            catch (RoutingConfigurationException ex)
            {
                // The routing layer refuses the edit as a whole; the clusters in force keep running.
                logger.LogError(ex, "Routing configuration rejected on reload; the running clusters stay.");
            }
        };
    }

    private static void ListenManagement(KestrelServerOptions kestrel, ManagementOptions management, ListenerEndpoints endpoints)
    {
        if (!EndpointParser.TryParse(management.Endpoint, out var endPoint))
        {
            throw new ProxyConfigurationException($"Proxy:Management:Endpoint: '{management.Endpoint}' is not a valid endpoint.");
        }

        void Http(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http1;
            endpoints.Management = listen;
        }

        switch (endPoint)
        {
            case IPEndPoint ip:
                kestrel.Listen(ip, Http);
                break;
            case DnsEndPoint dns:
                kestrel.ListenLocalhost(dns.Port, Http);
                break;
        }
    }
}
