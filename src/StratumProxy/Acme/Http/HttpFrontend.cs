using System.Net;
using StratumProxy.Acme.Challenges;

namespace StratumProxy.Acme.Http;

/// <summary>
/// The proxy's plain-HTTP side on <c>Acme:HttpChallengeEndpoint</c> (or <c>Proxy:Http:Endpoint</c>): http-01 answers at
/// <c>/.well-known/acme-challenge/</c>, and the YARP routes and clusters declared under <c>Proxy:Http</c> (e.g. the pool's web/API).
/// A small WebApplication of its own, so the Stratum listeners' Kestrel stays free of HTTP.
/// </summary>
public sealed partial class HttpFrontend : IHostedService, IAsyncDisposable
{
    public const string SectionName = "Proxy:Http";

    private readonly string _endpoint;
    private readonly IConfigurationSection _routes;
    private readonly Http01ChallengeStore _challenges;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;

    public HttpFrontend(string endpoint, IConfigurationSection routes, Http01ChallengeStore challenges, ILoggerFactory loggers)
    {
        _endpoint = endpoint;
        _routes = routes;
        _challenges = challenges;
        _loggers = loggers;
    }

    /// <summary>The bound addresses once started (the real port when the endpoint asked for port 0).</summary>
    public IReadOnlyList<string> Addresses => _app?.Urls.ToList() ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.Services.AddSingleton(_challenges);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(ParseEndpoint(_endpoint)));
        builder.Services.AddReverseProxy().LoadFromConfig(_routes);
        var app = builder.Build();
        app.MapAcmeHttpChallenge(_challenges);
        app.MapReverseProxy();
        await app.StartAsync(cancellationToken);
        _app = app;
        LogStarted(_loggers.CreateLogger<HttpFrontend>(), string.Join(", ", app.Urls), _routes.GetSection("Routes").GetChildren().Count());
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary><c>0.0.0.0:80</c>, <c>[::]:80</c>, <c>*:80</c> or <c>localhost:80</c>.</summary>
    internal static IPEndPoint ParseEndpoint(string endpoint)
    {
        if (IPEndPoint.TryParse(endpoint, out var parsed) && endpoint.Contains(':', StringComparison.Ordinal))
        {
            return parsed;
        }

        var colon = endpoint.LastIndexOf(':');
        if (colon > 0 && int.TryParse(endpoint.AsSpan(colon + 1), out var port))
        {
            var host = endpoint[..colon];
            if (host is "*" or "+")
            {
                return new IPEndPoint(IPAddress.IPv6Any, port);
            }

            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                return new IPEndPoint(IPAddress.Loopback, port);
            }
        }

        throw new ArgumentException($"HTTP endpoint '{endpoint}' is not host:port (e.g. 0.0.0.0:80).");
    }

    [LoggerMessage(EventId = 3130, Level = LogLevel.Information, Message = "HTTP front end listening on {Addresses} (ACME http-01 and {RouteCount} proxied routes)")]
    private static partial void LogStarted(ILogger logger, string addresses, int routeCount);
}
