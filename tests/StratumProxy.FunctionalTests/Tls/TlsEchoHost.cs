using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stratum.Transport;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>A Kestrel host on loopback with one listener: <c>UseStratumTls</c> then an echo connection handler.</summary>
internal sealed class TlsEchoHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsEchoHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>
    /// On Kestrel's socket transport the handshake is the runtime's <c>SslStream</c>'s; on the proxy's own transport
    /// (<paramref name="onEventLoops"/>) it is made on OpenSSL and the records go through the connection's own layer.
    /// </summary>
    public static Task<TlsEchoHost> StartAsync(TlsConnectionOptions options, int port = 0, bool onEventLoops = false) => StartAsync(options, port, EchoAsync, onEventLoops);

    /// <summary>The same on the proxy's own transport (its event loops, completions inline), with <paramref name="handler"/> after the handshake.</summary>
    public static Task<TlsEchoHost> StartOnEventLoopsAsync(TlsConnectionOptions options, ConnectionDelegate handler) =>
        StartAsync(options, 0, handler, onEventLoops: true);

    private static async Task<TlsEchoHost> StartAsync(TlsConnectionOptions options, int port, ConnectionDelegate handler, bool onEventLoops)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (onEventLoops)
        {
            builder.Services.AddSingleton<IConnectionListenerFactory>(new DirectSocketTransportFactory(NullLogger<DirectSocketListener>.Instance));
        }

        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.UseStratumTls(options);
            listen.Run(context => handler(context));
        }));
        var app = builder.Build();
        await app.StartAsync();
        var bound = new Uri(app.Urls.First()).Port;
        return new TlsEchoHost(app, bound);
    }

    public static async Task EchoAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(connection.ConnectionClosed);
                foreach (var segment in result.Buffer)
                {
                    await output.WriteAsync(segment, connection.ConnectionClosed);
                }

                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
