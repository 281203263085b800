using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StratumProxy.Hosting;
using StratumProxy.Listeners;
using StratumProxy.Management;

namespace StratumProxy.FunctionalTests.Management;

/// <summary>The real proxy host with the status page mapped, on ephemeral loopback ports.</summary>
internal sealed class StatusPageHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private StatusPageHost(WebApplication app, string directory)
    {
        _app = app;
        _directory = directory;
    }

    public Uri ManagementUri => new($"http://{_app.Services.GetRequiredService<ListenerEndpoints>().ManagementEndPoint}/");

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public System.Net.IPEndPoint Listener(string name) =>
        _app.Services.GetRequiredService<ListenerEndpoints>().GetBoundEndPoint(name) ?? throw new InvalidOperationException($"No listener {name}.");

    public static async Task<StatusPageHost> StartAsync(JsonObject proxySection)
    {
        var directory = Directory.CreateTempSubdirectory("stratum-status-page-").FullName;
        proxySection["DataPath"] = Path.Combine(directory, "data");
        proxySection["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0" };
        var config = new JsonObject
        {
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
            ["Proxy"] = proxySection,
        };
        var path = Path.Combine(directory, "proxy.json");
        await File.WriteAllTextAsync(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var app = ProxyHost.Build(["--config", path]);
        if (!MapsRoot(app))
        {
            // Until the management endpoints map the page themselves.
            app.MapStatusPage();
        }

        await app.StartAsync();
        return new StatusPageHost(app, directory);
    }

    private static bool MapsRoot(IEndpointRouteBuilder endpoints) =>
        endpoints.DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Any(e => e.RoutePattern.RawText is "/" or "" && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") != false);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
