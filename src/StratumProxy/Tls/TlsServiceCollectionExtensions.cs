using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using StratumProxy.Acme;
using StratumProxy.Acme.Challenges;
using StratumProxy.Acme.Http;
using StratumProxy.Configuration;
using StratumProxy.Listeners;
using StratumProxy.Management;

namespace StratumProxy.Tls;

/// <summary>Host wiring for TLS listeners, ACME and the HTTP front end.</summary>
public static class TlsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="TlsListenerFactory"/>, the certificate stores, metrics, the ACME renewal service (when
    /// <c>Proxy:Acme</c> is set) and the <see cref="HttpFrontend"/> (when ACME uses http-01 or <c>Proxy:Http</c> declares
    /// routes), and the <see cref="TlsListenerStage"/> that puts TLS into every listener with a <c>Tls</c> section.
    /// Uses the registered <see cref="IMetricFactory"/> or prometheus-net's default one.
    /// </summary>
    public static IServiceCollection AddStratumTls(this IServiceCollection services, ProxyOptions options, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Http01ChallengeStore>();
        services.TryAddSingleton<TlsAlpnChallengeStore>();
        services.TryAddSingleton(sp => new TlsMetrics(sp.GetService<IMetricFactory>() ?? Metrics.DefaultFactory));
        services.TryAddSingleton(sp => new AcmeMetrics(sp.GetService<IMetricFactory>() ?? Metrics.DefaultFactory));
        services.TryAddSingleton(sp => new SelfSignedCertificateStore(
            options.DataPath,
            sp.GetRequiredService<ILogger<SelfSignedCertificateStore>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            return new AcmeServices(options.Acme is null ? null : CreateRenewalService(sp, options.Acme));
        });
        services.TryAddSingleton(sp => new TlsListenerFactory(
            sp.GetRequiredService<TlsMetrics>(),
            sp.GetRequiredService<SelfSignedCertificateStore>(),
            sp.GetRequiredService<AcmeServices>().Renewal,
            sp.GetRequiredService<TlsAlpnChallengeStore>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICertificateStatusSource>(sp => sp.GetRequiredService<TlsListenerFactory>());
        services.AddSingleton<IListenerStage>(sp => new TlsListenerStage(sp.GetRequiredService<TlsListenerFactory>(), options.Limits.HandshakeTimeout));
        services.AddHostedService(sp => new AcmeHostedServices(sp.GetRequiredService<AcmeServices>().Renewal, CreateHttpFrontend(sp, options.Acme, configuration)));
        return services;
    }

    /// <summary>
    /// The same as <see cref="StratumTlsListenOptionsExtensions.UseStratumTls(ListenOptions, TlsConnectionOptions)"/>, building the
    /// options from the listener's <c>Tls</c> section with the <see cref="TlsListenerFactory"/> registered by <see cref="AddStratumTls"/>.
    /// </summary>
    public static ListenOptions UseStratumTls(this ListenOptions listenOptions, string listenerName, TlsListenerOptions tls, TimeSpan handshakeTimeout)
    {
        var factory = listenOptions.ApplicationServices.GetRequiredService<TlsListenerFactory>();
        return listenOptions.UseStratumTls(factory.Create(listenerName, tls, handshakeTimeout));
    }

    private static AcmeRenewalService CreateRenewalService(IServiceProvider sp, AcmeOptions acme)
    {
        IAcmeChallengeResponder responder = acme.Challenge == AcmeChallengeKind.Http01
            ? sp.GetRequiredService<Http01ChallengeStore>()
            : sp.GetRequiredService<TlsAlpnChallengeStore>();
        var loggers = sp.GetRequiredService<ILoggerFactory>();
        var time = sp.GetRequiredService<TimeProvider>();
        var issuer = new AcmeCertificateIssuer(acme, responder, sp.GetRequiredService<AcmeMetrics>(), loggers, time);
        return new AcmeRenewalService(acme, issuer, sp.GetRequiredService<SelfSignedCertificateStore>(), loggers.CreateLogger<AcmeRenewalService>(), time);
    }

    private static HttpFrontend? CreateHttpFrontend(IServiceProvider sp, AcmeOptions? acme, IConfiguration configuration)
    {
        var section = configuration.GetSection(HttpFrontend.SectionName);
        var hasRoutes = section.GetSection("Routes").GetChildren().Any();
        var needsChallenge = acme?.Challenge == AcmeChallengeKind.Http01;
        if (!hasRoutes && !needsChallenge)
        {
            return null;
        }

        var endpoint = section["Endpoint"] ?? acme?.HttpChallengeEndpoint ?? new AcmeOptions().HttpChallengeEndpoint;
        return new HttpFrontend(endpoint, section, sp.GetRequiredService<Http01ChallengeStore>(), sp.GetRequiredService<ILoggerFactory>());
    }

    /// <summary>Holder so the optional renewal service can be a singleton even when absent.</summary>
    internal sealed record AcmeServices(AcmeRenewalService? Renewal);

    /// <summary>Starts the HTTP front end before the renewal loop (http-01 answers need it) and stops both.</summary>
    private sealed class AcmeHostedServices(AcmeRenewalService? renewal, HttpFrontend? http) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (http is not null)
            {
                await http.StartAsync(cancellationToken);
            }

            if (renewal is not null)
            {
                await renewal.StartAsync(cancellationToken);
            }
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (renewal is not null)
            {
                await renewal.StopAsync(cancellationToken);
            }

            if (http is not null)
            {
                await http.StopAsync(cancellationToken);
                await http.DisposeAsync();
            }
        }
    }
}
