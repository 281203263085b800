using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
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

    public static async Task<TlsEchoHost> StartAsync(TlsConnectionOptions options, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.UseStratumTls(options);
            listen.Run(EchoAsync);
        }));
        var app = builder.Build();
        await app.StartAsync();
        var bound = new Uri(app.Urls.First()).Port;
        return new TlsEchoHost(app, bound);
    }

    private static async Task EchoAsync(ConnectionContext connection)
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
