using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Stratum.Protocol.ProxyProtocol;
using StratumProxy.Configuration;
using StratumProxy.Filtering;
using StratumProxy.Management;
using StratumProxy.ProxyProtocol;

namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>
/// A real Kestrel listener on loopback with the connection filters (behind the proxy's PROXY protocol middleware when
/// asked) in front of an echo handler; configuration goes through the same binder as the proxy's (<c>Proxy:...</c> keys).
/// </summary>
internal sealed class FilteredEchoServer : IAsyncDisposable
{
    public const string Listener = "test";

    private readonly WebApplication _app;
    private readonly DirectoryInfo _contentRoot;

    private FilteredEchoServer(WebApplication app, DirectoryInfo contentRoot, int port, CollectorRegistry registry)
    {
        _app = app;
        _contentRoot = contentRoot;
        Port = port;
        Registry = registry;
    }

    public int Port { get; }

    public CollectorRegistry Registry { get; }

    public IServiceProvider Services => _app.Services;

    public string DataPath => Path.Combine(_contentRoot.FullName, "data");

    /// <param name="settings">Configuration keys such as <c>Proxy:Limits:MaxConnections</c>.</param>
    /// <param name="proxyHeaders">Put the proxy's PROXY protocol middleware first, so tests on loopback can present public addresses.</param>
    public static async Task<FilteredEchoServer> StartAsync(Dictionary<string, string?> settings, bool proxyHeaders = false)
    {
        var contentRoot = Directory.CreateTempSubdirectory("filtered-echo-");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = contentRoot.FullName });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        var registry = Metrics.NewCustomRegistry();
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton<IMetricFactory>(Metrics.WithCustomRegistry(registry));
        builder.Services.AddSingleton<ProxyMetrics>();
        builder.Services.AddSingleton(new ProxyConfigState(
            builder.Configuration.GetSection(ProxyOptions.SectionName).Get<ProxyOptions>() ?? new ProxyOptions()));
        builder.Services.AddConnectionFilters();

        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            bound = listen;
            if (proxyHeaders)
            {
                var services = listen.ApplicationServices;
                var proxyProtocol = new ProxyProtocolMiddleware(
                    Listener,
                    new TrustedProxyList([]),
                    TimeSpan.FromSeconds(10),
                    services.GetRequiredService<ProxyMetrics>(),
                    services.GetRequiredService<ILoggerFactory>().CreateLogger<ProxyProtocolMiddleware>());
                listen.Use(next => connection => proxyProtocol.OnConnectionAsync(connection, next));
            }

            listen.UseConnectionFilters(Listener);
            listen.Run(EchoAsync);
        }));

        var app = builder.Build();
        await app.StartAsync();
        var port = ((IPEndPoint)bound!.EndPoint).Port;
        return new FilteredEchoServer(app, contentRoot, port, registry);
    }

    /// <summary>The country the server's own lookup gives <paramref name="address"/>.</summary>
    public string? Lookup(IPAddress address) => Services.GetRequiredService<ICountryLookup>().GetCountry(address);

    public double Rejected(string reason) =>
        Services.GetRequiredService<FilterMetrics>().RejectedConnections.WithLabels(Listener, reason).Value;

    /// <summary>
    /// Connects (with <paramref name="source"/>, first sending a PROXY v1 header presenting that address) and sends a
    /// line: the open connection when it comes back (admitted), null when the server closed the connection instead.
    /// A refusal can surface at any step: under load the server's reset may beat the client's own connect completion.
    /// </summary>
    public async Task<TcpClient?> ConnectAdmittedAsync(IPAddress? source = null)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(IPAddress.Loopback, Port, deadline.Token);
            if (source is not null)
            {
                var header = new ArrayBufferWriter<byte>();
                ProxyProtocolWriter.WriteV1(header, new IPEndPoint(source, 40000), new IPEndPoint(IPAddress.Parse("192.0.2.1"), Port));
                await client.GetStream().WriteAsync(header.WrittenMemory, deadline.Token);
            }

            if (await EchoesAsync(client))
            {
                return client;
            }
        }
        catch (SocketException)
        {
        }
        catch (IOException)
        {
        }

        client.Dispose();
        return null;
    }

    /// <summary>True when the line comes back (the connection is still admitted), false when the server closed it.</summary>
    public static async Task<bool> EchoesAsync(TcpClient client)
    {
        var stream = client.GetStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var line = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n"u8.ToArray();
        try
        {
            await stream.WriteAsync(line, deadline.Token);
            var received = new byte[line.Length];
            var total = 0;
            while (total < received.Length)
            {
                var read = await stream.ReadAsync(received.AsMemory(total), deadline.Token);
                if (read == 0)
                {
                    return false;
                }

                total += read;
            }

            Assert.Equal(Encoding.ASCII.GetString(line), Encoding.ASCII.GetString(received));
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits, up to a deadline, until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _contentRoot.Delete(recursive: true);
    }

    private static async Task EchoAsync(ConnectionContext context)
    {
        var input = context.Transport.Input;
        var output = context.Transport.Output;
        while (true)
        {
            var result = await input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                await output.WriteAsync(segment);
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                break;
            }
        }
    }
}
