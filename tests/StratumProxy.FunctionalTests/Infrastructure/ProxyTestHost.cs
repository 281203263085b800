using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StratumProxy.Hosting;
using StratumProxy.Listeners;

namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>The real proxy host, started in-process on ephemeral loopback ports from a JSON configuration file.</summary>
public sealed class ProxyTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProxyTestHost(WebApplication app, string configPath, string directory)
    {
        _app = app;
        ConfigPath = configPath;
        Directory = directory;
    }

    public string ConfigPath { get; }

    public string Directory { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="proxySection">The <c>Proxy</c> section; paths in it and in <paramref name="poolSection"/> may use <c>{dir}</c> for the host's temporary directory.</param>
    /// <param name="configure">Extra registrations.</param>
    /// <param name="poolSection">A <c>Pool</c> section to run the bundled pool in the same host.</param>
    public static async Task<ProxyTestHost> StartAsync(JsonObject proxySection, Action<WebApplicationBuilder>? configure = null, JsonObject? poolSection = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "stratum-proxy-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        proxySection["DataPath"] ??= Path.Combine(directory, "data");
        proxySection["Management"] ??= new JsonObject { ["Endpoint"] = "127.0.0.1:0" };
        var path = Path.Combine(directory, "proxy.json");
        await WriteConfigAsync(path, proxySection, poolSection);
        var app = ProxyHost.Build(["--config", path], configure);
        await app.StartAsync();
        return new ProxyTestHost(app, path, directory);
    }

    public static Task WriteConfigAsync(string path, JsonObject proxySection, JsonObject? poolSection = null)
    {
        var root = new JsonObject
        {
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
            ["Proxy"] = proxySection.DeepClone(),
        };
        if (poolSection is not null)
        {
            root["Pool"] = poolSection.DeepClone();
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!.Replace('\\', '/');
        var text = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).Replace("{dir}", directory, StringComparison.Ordinal);
        return File.WriteAllTextAsync(path, text);
    }

    /// <summary>The bundled pool's HTTP API, once started.</summary>
    public IPEndPoint PoolApiEndPoint => PoolServices.GetRequiredService<StratumPool.Hosting.PoolEndpoints>().Api!;

    /// <summary>What the bundled pool says of itself through its own API service.</summary>
    public Task<StratumPool.Api.PoolInfo> PoolInfoAsync() =>
        PoolServices.GetRequiredService<StratumPool.Api.PoolApi>().GetPoolAsync(CancellationToken.None);

    private IServiceProvider PoolServices => _app.Services.GetRequiredService<StratumPool.Hosting.PoolHostedService>().Services!;

    public IPEndPoint Listener(string name) =>
        _app.Services.GetRequiredService<ListenerEndpoints>().GetBoundEndPoint(name)
        ?? throw new InvalidOperationException($"No listener {name}.");

    public Uri ManagementUri =>
        new($"http://{_app.Services.GetRequiredService<ListenerEndpoints>().ManagementEndPoint}/");

    /// <summary>What <c>GET /api/status</c> on the management endpoint answers now.</summary>
    public async Task<JsonNode> StatusAsync()
    {
        using var http = new HttpClient { BaseAddress = ManagementUri, Timeout = TimeSpan.FromSeconds(10) };
        return JsonNode.Parse(await http.GetStringAsync("api/status"))!;
    }

    /// <summary>The one session <c>/api/status</c> lists (fails unless there is exactly one).</summary>
    public async Task<JsonNode> SingleSessionAsync() => (await StatusAsync())["sessions"]!.AsArray().Single()!;

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public Task StopAsync() => _app.StopAsync();

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

    /// <summary>A minimal proxy section: one listener on an ephemeral port forwarding to <paramref name="destinations"/>.</summary>
    public static JsonObject SingleListener(params IPEndPoint[] destinations)
    {
        var destinationNodes = new JsonObject();
        for (var i = 0; i < destinations.Length; i++)
        {
            destinationNodes[$"d{i}"] = new JsonObject { ["Address"] = destinations[i].ToString() };
        }

        return new JsonObject
        {
            ["Listeners"] = new JsonObject
            {
                ["main"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Cluster"] = "pool" },
            },
            ["Clusters"] = new JsonObject
            {
                ["pool"] = new JsonObject { ["Destinations"] = destinationNodes },
            },
        };
    }
}
