using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Stratum.Transport;
using StratumPool.Hosting;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.EndToEnd;

/// <summary>The pool run inside another ASP.NET Core host, as the proxy host does with <c>AddStratumPool</c>.</summary>
public sealed class EmbeddedPoolHostingTests
{
    private static Dictionary<string, string?> Settings(TempDirectory directory, bool enabled) => new()
    {
        ["Pool:Enabled"] = enabled ? "true" : "false",
        ["Pool:Endpoint"] = "127.0.0.1:0",
        ["Pool:Api:Endpoint"] = "127.0.0.1:0",
        ["Pool:Network"] = "Devnet",
        ["Pool:Devnet:Endpoint"] = "127.0.0.1:0",
        ["Pool:Storage:ConnectionString"] = $"Data Source={directory.File("pool.db")}",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    [Fact]
    public async Task Enabled_pool_runs_its_own_listeners_inside_the_host()
    {
        using var directory = new TempDirectory();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(Settings(directory, enabled: true));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddStratumPool(builder.Configuration);
        await using var host = builder.Build();
        await host.StartAsync();

        var pool = host.Services.GetRequiredService<PoolHostedService>();
        var endpoints = pool.Services!.GetRequiredService<PoolEndpoints>();
        Assert.NotEqual(0, endpoints.Stratum!.Port);

        // Kestrel binds with the factory registered last: the pool's ports read and write their sockets directly,
        // and their sessions (which write shares to the database) run on the thread pool, not on a socket loop.
        var factory = Assert.IsType<DirectSocketTransportFactory>(pool.Services!.GetServices<IConnectionListenerFactory>().Last());
        Assert.False(factory.InlineCompletions);

        await using var client = await StratumLineClient.ConnectAsync(endpoints.Stratum);
        await client.SendAsync(1, "mining.subscribe", "embedded-test");
        Assert.Equal(JsonValueKind.Array, (await client.ReadReplyAsync()).GetProperty("result").ValueKind);
        await client.SendAsync(2, "mining.authorize", "someone.rig", "x");
        var notify = await client.ReadNotificationAsync("mining.notify", timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(9, notify.GetProperty("params").GetArrayLength());

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoints.Api!.Port}") };
        var pools = await http.GetFromJsonAsync<JsonElement>("/api/pools/btc");
        Assert.Equal("Devnet", pools.GetProperty("pool").GetProperty("networkStats").GetProperty("networkType").GetString());

        await host.StopAsync();
    }

    [Fact]
    public void Disabled_pool_adds_nothing()
    {
        using var directory = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings(directory, enabled: false)).Build();
        var services = new ServiceCollection().AddStratumPool(configuration);
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(PoolHostedService) || d.ImplementationType == typeof(PoolHostedService));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public async Task Invalid_pool_section_fails_start_up_with_every_error()
    {
        using var directory = new TempDirectory();
        var settings = Settings(directory, enabled: true);
        settings["Pool:Difficulty:Initial"] = "0";
        settings["Pool:MinSuggestedDifficulty"] = "-1";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = PoolApplication.Build(configuration);
            await app.StartAsync();
        });

        Assert.Contains("Pool:Difficulty:Initial must be > 0", exception.Failures);
        Assert.Contains("Pool:MinSuggestedDifficulty must be > 0", exception.Failures);
    }
}
