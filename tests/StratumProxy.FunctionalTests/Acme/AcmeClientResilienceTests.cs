using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Acme;

namespace StratumProxy.FunctionalTests.Acme;

/// <summary>
/// Behaviour pebble cannot be made to show on demand (5xx, Retry-After, ARI), against a small scripted HTTP
/// server on loopback; pebble's own lack of ARI is checked against pebble.
/// </summary>
public sealed class AcmeClientResilienceTests(PebbleFixture pebble) : IClassFixture<PebbleFixture>
{
    [Fact]
    public async Task TransientServerErrorsAreRetriedHonouringRetryAfter()
    {
        var directoryHits = 0;
        await using var ca = await StartAsync(app => app.MapGet("/dir", (HttpContext context) =>
        {
            if (Interlocked.Increment(ref directoryHits) <= 2)
            {
                context.Response.Headers.RetryAfter = "0";
                return Results.StatusCode(503);
            }

            return Results.Text(DirectoryJson(context, withRenewalInfo: false), "application/json");
        }));
        using var http = new HttpClient();
        using var key = AcmeAccountKey.Create();
        var client = new AcmeClient(http, key, new Uri(ca.Urls.First() + "/dir"), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);

        var directory = await client.GetDirectoryAsync(CancellationToken.None);

        Assert.EndsWith("/new-order", directory.NewOrder, StringComparison.Ordinal);
        Assert.Equal(3, directoryHits);
    }

    [Fact]
    public async Task PersistentServerErrorsGiveUpWithTheStatus()
    {
        var hits = 0;
        await using var ca = await StartAsync(app => app.MapGet("/dir", () =>
        {
            Interlocked.Increment(ref hits);
            return Results.StatusCode(500);
        }));
        using var http = new HttpClient();
        using var key = AcmeAccountKey.Create();
        var tuning = AcmeTestStack.FastTuning with { TransientRetries = 2, TransientRetryDelay = TimeSpan.FromMilliseconds(10) };
        var client = new AcmeClient(http, key, new Uri(ca.Urls.First() + "/dir"), NullLogger.Instance, TimeProvider.System, tuning);

        var error = await Assert.ThrowsAsync<AcmeProblemException>(() => client.GetDirectoryAsync(CancellationToken.None));

        Assert.Equal(500, error.HttpStatus);
        Assert.Equal(3, hits);
    }

    [Fact]
    public async Task RenewalInfoWindowIsReadWhenTheDirectoryOffersIt()
    {
        using var certificate = CertificateWithAki();
        var expectedId = AcmeRenewalInfoId.TryCreate(certificate)!;
        string? askedFor = null;
        await using var ca = await StartAsync(app =>
        {
            app.MapGet("/dir", (HttpContext context) => Results.Text(DirectoryJson(context, withRenewalInfo: true), "application/json"));
            app.MapGet("/renewal-info/{id}", (string id, HttpContext context) =>
            {
                askedFor = id;
                context.Response.Headers.RetryAfter = "21600";
                return Results.Text("""{"suggestedWindow":{"start":"2030-01-02T00:00:00Z","end":"2030-01-03T00:00:00Z"}}""", "application/json");
            });
        });
        using var http = new HttpClient();
        using var key = AcmeAccountKey.Create();
        var client = new AcmeClient(http, key, new Uri(ca.Urls.First() + "/dir"), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);

        var info = await client.GetRenewalInfoAsync(certificate, CancellationToken.None);

        Assert.NotNull(info);
        Assert.Equal(expectedId, askedFor);
        Assert.Equal(new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero), info.Value.Info.SuggestedWindow.Start);
        Assert.Equal(TimeSpan.FromHours(6), info.Value.RetryAfter);
    }

    [PebbleFact]
    public async Task PebbleOffersNoRenewalInfoWhichMeansNoAri()
    {
        using var certificate = CertificateWithAki();
        using var http = AcmeHttpClientFactory.Create(pebble.DirectoryCertificateAuthority);
        using var key = AcmeAccountKey.Create();
        var client = new AcmeClient(http, key, new Uri(pebble.DirectoryUrl), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);

        Assert.Null((await client.GetDirectoryAsync(CancellationToken.None)).RenewalInfo);
        Assert.Null(await client.GetRenewalInfoAsync(certificate, CancellationToken.None));
    }

    private static string DirectoryJson(HttpContext context, bool withRenewalInfo)
    {
        var root = $"http://{context.Request.Host}";
        var renewal = withRenewalInfo ? $",\"renewalInfo\":\"{root}/renewal-info\"" : string.Empty;
        return $"{{\"newNonce\":\"{root}/nonce\",\"newAccount\":\"{root}/new-account\",\"newOrder\":\"{root}/new-order\"{renewal}}}";
    }

    private static X509Certificate2 CertificateWithAki()
    {
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pool.example.com", leafKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(RandomNumberGenerator.GetBytes(20)));
        return request.Create(new X500DistinguishedName("CN=Test CA"), X509SignatureGenerator.CreateForECDsa(issuerKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), [0x01, 0x02, 0x03]);
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }
}
