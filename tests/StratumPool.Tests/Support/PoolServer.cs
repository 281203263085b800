using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using StratumPool.Hosting;

namespace StratumPool.Tests.Support;

/// <summary>The pool application on loopback ephemeral ports with a SQLite file in a temp directory.</summary>
public sealed class PoolServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private PoolServer(WebApplication app, TempDirectory directory, CollectorRegistry registry)
    {
        App = app;
        _directory = directory;
        Registry = registry;
    }

    public WebApplication App { get; }

    public CollectorRegistry Registry { get; }

    public string DatabasePath => _directory.File("pool.db");

    public IPEndPoint StratumEndPoint => App.Services.GetRequiredService<PoolEndpoints>().Stratum!;

    public IPEndPoint ApiEndPoint => App.Services.GetRequiredService<PoolEndpoints>().Api!;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<PoolServer> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var directory = new TempDirectory();
        var values = new Dictionary<string, string?>
        {
            ["Pool:Enabled"] = "true",
            ["Pool:Endpoint"] = "127.0.0.1:0",
            ["Pool:Api:Endpoint"] = "127.0.0.1:0",
            ["Pool:Storage:ConnectionString"] = $"Data Source={directory.File("pool.db")}",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var app = PoolApplication.Build(configuration, s =>
        {
            s.AddSingleton(registry);
            services?.Invoke(s);
        });
        await app.StartAsync();
        return new PoolServer(app, directory, registry);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _directory.Dispose();
    }
}
