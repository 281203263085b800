using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using StratumProxy.Filtering;
using StratumProxy.FunctionalTests.Infrastructure;
using StratumProxy.Hosting;
using StratumProxy.Listeners;

namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>
/// The real proxy host with the connection filters registered and the ban API mapped, as the host wires them;
/// started in-process on ephemeral loopback ports. The data directory outlives the host so a restart can be tested.
/// </summary>
internal sealed class FilteringProxyHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FilteringProxyHost(WebApplication app)
    {
        _app = app;
    }

    public IServiceProvider Services => _app.Services;

    public Uri ManagementUri => new($"http://{Services.GetRequiredService<ListenerEndpoints>().ManagementEndPoint}/");

    public static async Task<FilteringProxyHost> StartAsync(JsonObject proxySection, string directory)
    {
        proxySection["DataPath"] ??= Path.Combine(directory, "data");
        proxySection["Management"] ??= new JsonObject { ["Endpoint"] = "127.0.0.1:0" };
        var path = Path.Combine(directory, "proxy.json");
        await ProxyTestHost.WriteConfigAsync(path, proxySection);
        var app = ProxyHost.Build(["--config", path]);
        await app.StartAsync();
        return new FilteringProxyHost(app);
    }

    public IPEndPoint Listener(string name) =>
        Services.GetRequiredService<ListenerEndpoints>().GetBoundEndPoint(name)
        ?? throw new InvalidOperationException($"No listener {name}.");

    public double Rejected(string listener, string reason) =>
        Services.GetRequiredService<FilterMetrics>().RejectedConnections.WithLabels(listener, reason).Value;

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
    }
}
