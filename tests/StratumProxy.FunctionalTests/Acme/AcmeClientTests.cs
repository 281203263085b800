using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Acme;

namespace StratumProxy.FunctionalTests.Acme;

/// <summary>The wire client's error paths against a real pebble.</summary>
public sealed class AcmeClientTests(PebbleFixture pebble) : IClassFixture<PebbleFixture>
{
    [PebbleFact]
    public async Task ProblemDocumentsSurfaceWithTheirTypeAndDetail()
    {
        using var http = AcmeHttpClientFactory.Create(pebble.DirectoryCertificateAuthority);
        using var key = AcmeAccountKey.Create();
        var client = new AcmeClient(http, key, new Uri(pebble.DirectoryUrl), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);
        await client.RegisterAccountAsync("ops@example.com", acceptTermsOfService: true, null, null, CancellationToken.None);

        var error = await Assert.ThrowsAsync<AcmeProblemException>(() => client.NewOrderAsync(["not a valid name!.example.com"], CancellationToken.None));

        Assert.StartsWith("urn:ietf:params:acme:error:", error.Problem.Type, StringComparison.Ordinal);
        Assert.Contains(error.ShortType, new[] { "rejectedIdentifier", "malformed" });
        Assert.False(string.IsNullOrWhiteSpace(error.Problem.Detail));
        Assert.Equal(400, error.HttpStatus);
    }

    [PebbleFact]
    public async Task TheSameAccountKeyFindsTheSameAccount()
    {
        using var http = AcmeHttpClientFactory.Create(pebble.DirectoryCertificateAuthority);
        using var key = AcmeAccountKey.Create();
        var first = new AcmeClient(http, key, new Uri(pebble.DirectoryUrl), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);
        var second = new AcmeClient(http, key, new Uri(pebble.DirectoryUrl), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);

        var created = await first.RegisterAccountAsync(null, true, null, null, CancellationToken.None);
        var found = await second.RegisterAccountAsync(null, true, null, null, CancellationToken.None);

        Assert.Equal(created, found);
    }
}

public sealed class AcmeExternalAccountBindingTests(PebbleEabFixture pebble) : IClassFixture<PebbleEabFixture>
{
    [PebbleFact]
    public async Task RegistersWithExternalAccountBinding()
    {
        using var http = AcmeHttpClientFactory.Create(pebble.DirectoryCertificateAuthority);
        using var key = AcmeAccountKey.Create();
        var client = new AcmeClient(http, key, new Uri(pebble.DirectoryUrl), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);

        var account = await client.RegisterAccountAsync("ops@example.com", true, PebbleEabFixture.KeyId, PebbleEabFixture.HmacKey, CancellationToken.None);

        Assert.StartsWith("https://127.0.0.1:", account, StringComparison.Ordinal);
    }

    [PebbleFact]
    public async Task MissingOrWrongBindingIsRefusedWithAClearError()
    {
        using var http = AcmeHttpClientFactory.Create(pebble.DirectoryCertificateAuthority);
        using var key = AcmeAccountKey.Create();
        var client = new AcmeClient(http, key, new Uri(pebble.DirectoryUrl), NullLogger.Instance, TimeProvider.System, AcmeTestStack.FastTuning);

        var missing = await Assert.ThrowsAsync<AcmeProblemException>(() => client.RegisterAccountAsync(null, true, null, null, CancellationToken.None));
        Assert.Contains("EabKeyId", missing.Message, StringComparison.Ordinal);

        var wrongKey = "AAAA" + PebbleEabFixture.HmacKey[4..];
        var refused = await Assert.ThrowsAsync<AcmeProblemException>(() => client.RegisterAccountAsync(null, true, PebbleEabFixture.KeyId, wrongKey, CancellationToken.None));
        Assert.NotNull(refused.Problem.Type);
        Assert.False(string.IsNullOrWhiteSpace(refused.Problem.Detail));
    }
}
