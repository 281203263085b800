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

    private StatusPageHost(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
    }

    public Uri ManagementUri => new($"http://{_app.Services.GetRequiredService<ListenerEndpoints>().ManagementEndPoint}/");

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public System.Net.IPEndPoint Listener(string name) =>
        _app.Services.GetRequiredService<ListenerEndpoints>().GetBoundEndPoint(name) ?? throw new InvalidOperationException($"No listener {name}.");

    public string Directory { get; }

    /// <summary>What the bundled pool says of itself through its own API service.</summary>
    public Task<StratumPool.Api.PoolInfo> PoolInfoAsync() =>
        _app.Services.GetRequiredService<StratumPool.Hosting.PoolHostedService>().Services!
            .GetRequiredService<StratumPool.Api.PoolApi>().GetPoolAsync(CancellationToken.None);

    /// <param name="proxySection">The <c>Proxy</c> section; paths in either section may use <c>{dir}</c> for the host's temporary directory.</param>
    /// <param name="poolSection">A <c>Pool</c> section to run the bundled pool in the same host.</param>
    public static async Task<StatusPageHost> StartAsync(JsonObject proxySection, JsonObject? poolSection = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("stratum-status-page-").FullName;
        proxySection["DataPath"] = Path.Combine(directory, "data");
        proxySection["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0" };
        var config = new JsonObject
        {
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
            ["Proxy"] = proxySection,
        };
        if (poolSection is not null)
        {
            config["Pool"] = poolSection;
        }

        var path = Path.Combine(directory, "proxy.json");
        var text = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(path, text.Replace("{dir}", directory.Replace("\\", "/"), StringComparison.Ordinal));

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
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
