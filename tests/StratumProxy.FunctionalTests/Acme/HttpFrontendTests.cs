using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Acme.Challenges;
using StratumProxy.Acme.Http;

namespace StratumProxy.FunctionalTests.Acme;

public sealed class HttpFrontendTests
{
    [Fact]
    public async Task ServesHttp01AnswersAndForwardsTheYarpRoutesDeclaredUnderProxyHttp()
    {
        await using var backend = await StartBackendAsync();
        var backendUrl = backend.Urls.First();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Proxy:Http:Routes:pool-api:ClusterId"] = "pool-web",
            ["Proxy:Http:Routes:pool-api:Match:Path"] = "/api/{**rest}",
            ["Proxy:Http:Clusters:pool-web:Destinations:node-a:Address"] = backendUrl,
        }).Build();
        var challenges = new Http01ChallengeStore();
        await using var frontend = new HttpFrontend("127.0.0.1:0", configuration.GetSection(HttpFrontend.SectionName), challenges, NullLoggerFactory.Instance);
        await frontend.StartAsync(CancellationToken.None);
        using var http = new HttpClient { BaseAddress = new Uri(frontend.Addresses.Single()), Timeout = TimeSpan.FromSeconds(20) };

        Assert.Equal("backend saw /api/pool/stats", await http.GetStringAsync("/api/pool/stats"));

        using (var unknown = await http.GetAsync("/.well-known/acme-challenge/unknown-token"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        challenges.Provision("pool.example.com", "tok-123", "tok-123.thumb");
        Assert.Equal("tok-123.thumb", await http.GetStringAsync("/.well-known/acme-challenge/tok-123"));
        challenges.Remove("pool.example.com", "tok-123");
        using (var removed = await http.GetAsync("/.well-known/acme-challenge/tok-123"))
        {
            Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        }

        using (var unrouted = await http.GetAsync("/not-routed"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unrouted.StatusCode);
        }

        await frontend.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("0.0.0.0:80", "0.0.0.0", 80)]
    [InlineData("[::]:8080", "::", 8080)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("localhost:81", "127.0.0.1", 81)]
    public void ParsesEndpoints(string endpoint, string address, int port)
    {
        var parsed = HttpFrontend.ParseEndpoint(endpoint);
        Assert.Equal(IPAddress.Parse(address), parsed.Address);
        Assert.Equal(port, parsed.Port);
    }

    [Fact]
    public void RejectsAnEndpointWithoutPort() =>
        Assert.Throws<ArgumentException>(() => HttpFrontend.ParseEndpoint("pool.example.com"));

    private static async Task<WebApplication> StartBackendAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync("backend saw " + context.Request.Path));
        await app.StartAsync();
        return app;
    }
}
