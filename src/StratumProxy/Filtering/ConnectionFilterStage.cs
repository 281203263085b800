using Microsoft.AspNetCore.Server.Kestrel.Core;
using StratumProxy.Configuration;
using StratumProxy.Listeners;

namespace StratumProxy.Filtering;

/// <summary>The connection filters' place in every listener: after the PROXY header, before TLS.</summary>
public sealed class ConnectionFilterStage : IListenerStage
{
    public int Order => 100;

    public void Configure(ListenOptions listenOptions, string listenerName, ListenerOptions listener) =>
        listenOptions.UseConnectionFilters(listenerName);
}
