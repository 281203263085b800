using Microsoft.AspNetCore.Server.Kestrel.Core;
using StratumProxy.Configuration;
using StratumProxy.Listeners;

namespace StratumProxy.Tls;

/// <summary>The TLS stage of a listener pipeline: after PROXY and the filters, before Stratum framing.</summary>
public sealed class TlsListenerStage(TlsListenerFactory factory, TimeSpan handshakeTimeout) : IListenerStage
{
    public int Order => 200;

    public void Configure(ListenOptions listenOptions, string listenerName, ListenerOptions listener)
    {
        if (listener.Tls is { } tls)
        {
            listenOptions.UseStratumTls(factory.Create(listenerName, tls, handshakeTimeout));
        }
    }
}
