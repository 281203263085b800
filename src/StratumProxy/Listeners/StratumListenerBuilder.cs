using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.ProxyProtocol;
using StratumProxy.Stratum;

namespace StratumProxy.Listeners;

/// <summary>
/// Builds each Stratum listener as a Kestrel connection pipeline, one concern per stage:
/// PROXY protocol in → connection filters (bans, geo, limits) → TLS → the Stratum session handler.
/// </summary>
public sealed class StratumListenerBuilder
{
    private readonly IServiceProvider _services;
    private readonly IEnumerable<IListenerStage> _stages;

    public StratumListenerBuilder(IServiceProvider services, IEnumerable<IListenerStage> stages)
    {
        _services = services;
        _stages = stages;
    }

    /// <summary>Binds every configured listener on <paramref name="kestrel"/>.</summary>
    public void Configure(KestrelServerOptions kestrel, ProxyOptions options)
    {
        var endpoints = _services.GetRequiredService<ListenerEndpoints>();
        foreach (var (name, listener) in options.Listeners)
        {
            if (!EndpointParser.TryParse(listener.Endpoint, out var endPoint))
            {
                throw new ProxyConfigurationException($"Proxy:Listeners:{name}:Endpoint: '{listener.Endpoint}' is not a valid endpoint.");
            }

            var listenerName = name;
            void Build(ListenOptions listenOptions)
            {
                endpoints.Add(listenerName, listenOptions);
                BuildPipeline(listenOptions, listenerName, listener, options.Limits);
            }

            switch (endPoint)
            {
                case IPEndPoint ip when ip.Address.Equals(IPAddress.IPv6Any):
                    kestrel.ListenAnyIP(ip.Port, Build);
                    break;
                case IPEndPoint ip:
                    kestrel.Listen(ip, Build);
                    break;
                case DnsEndPoint dns when string.Equals(dns.Host, "localhost", StringComparison.OrdinalIgnoreCase):
                    kestrel.ListenLocalhost(dns.Port, Build);
                    break;
                case DnsEndPoint dns:
                    var addresses = Dns.GetHostAddresses(dns.Host);
                    kestrel.Listen(new IPEndPoint(addresses[0], dns.Port), Build);
                    break;
            }
        }
    }

    private void BuildPipeline(ListenOptions listenOptions, string name, ListenerOptions listener, LimitsOptions limits)
    {
        var metrics = _services.GetRequiredService<ProxyMetrics>();
        var loggerFactory = _services.GetRequiredService<ILoggerFactory>();
        if (listener.AcceptProxyProtocol)
        {
            var proxyProtocol = new ProxyProtocolMiddleware(
                name,
                new TrustedProxyList(listener.TrustedProxies),
                limits.HandshakeTimeout,
                metrics,
                loggerFactory.CreateLogger<ProxyProtocolMiddleware>());
            listenOptions.Use(next => connection => proxyProtocol.OnConnectionAsync(connection, next));
        }

        foreach (var stage in _stages.OrderBy(s => s.Order))
        {
            stage.Configure(listenOptions, name, listener);
        }

        var handler = _services.GetRequiredService<StratumSessionHandler>();
        listenOptions.Run(connection => handler.OnConnectedAsync(connection, name));
    }
}

/// <summary>
/// A stage of the listener pipeline after the PROXY header is read (filters, TLS). Stages run in
/// <see cref="Order"/>: filters (100-199) see the real client address before any TLS work (200).
/// </summary>
public interface IListenerStage
{
    int Order { get; }

    void Configure(ListenOptions listenOptions, string listenerName, ListenerOptions listener);
}
