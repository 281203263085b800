using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StratumProxy.Acme;

namespace StratumProxy.Tests.Acme;

public sealed class AcmeAccountKeyTests
{
    [Fact]
    public void JwsIsSignedWithEs256OverProtectedAndPayload()
    {
        using var key = AcmeAccountKey.Create();
        var header = new JwsProtectedHeader { Alg = "ES256", Kid = "https://ca.test/acct/1", Nonce = "n0nce", Url = "https://ca.test/new-order" };

        var jws = key.Sign(header, "{\"a\":1}"u8);

        using var protectedJson = JsonDocument.Parse(Base64Url.DecodeFromChars(jws.Protected));
        Assert.Equal("ES256", protectedJson.RootElement.GetProperty("alg").GetString());
        Assert.Equal("n0nce", protectedJson.RootElement.GetProperty("nonce").GetString());
        Assert.Equal("https://ca.test/new-order", protectedJson.RootElement.GetProperty("url").GetString());
        Assert.Equal("https://ca.test/acct/1", protectedJson.RootElement.GetProperty("kid").GetString());
        Assert.False(protectedJson.RootElement.TryGetProperty("jwk", out _));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(jws.Payload)));

        // Verified with a key rebuilt from the published JWK only.
        using var jwk = JsonDocument.Parse(key.JwkJson);
        using var verifier = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("x").GetString()),
                Y = Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("y").GetString()),
            },
        });
        var signature = Base64Url.DecodeFromChars(jws.Signature);
        Assert.Equal(64, signature.Length);
        Assert.True(verifier.VerifyData(Encoding.ASCII.GetBytes(jws.Protected + "." + jws.Payload), signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void PostAsGetHasAnEmptyPayload()
    {
        using var key = AcmeAccountKey.Create();
        var jws = key.Sign(new JwsProtectedHeader { Alg = "ES256", Jwk = key.Jwk, Nonce = "n", Url = "https://ca.test/x" }, []);
        Assert.Equal(string.Empty, jws.Payload);
        Assert.True(key.Verify(jws));
    }

    [Fact]
    public void ThumbprintIsSha256OfTheCanonicalJwk()
    {
        using var key = AcmeAccountKey.Create();
        using var jwk = JsonDocument.Parse(key.JwkJson);
        var root = jwk.RootElement;
        var canonical = $"{{\"crv\":\"{root.GetProperty("crv").GetString()}\",\"kty\":\"{root.GetProperty("kty").GetString()}\",\"x\":\"{root.GetProperty("x").GetString()}\",\"y\":\"{root.GetProperty("y").GetString()}\"}}";

        Assert.Equal(["crv", "kty", "x", "y"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), key.Thumbprint);
        Assert.Equal("tok." + key.Thumbprint, key.KeyAuthorization("tok"));
    }

    [Fact]
    public void PemRoundTripKeepsTheAccount()
    {
        using var key = AcmeAccountKey.Create();
        using var reloaded = AcmeAccountKey.FromPem(key.ExportPem());
        Assert.Equal(key.Thumbprint, reloaded.Thumbprint);
    }

    [Fact]
    public void ExternalAccountBindingIsHs256OverTheAccountJwk()
    {
        using var key = AcmeAccountKey.Create();
        var hmacKey = RandomNumberGenerator.GetBytes(32);

        var binding = key.ExternalAccountBinding("kid-7", Base64Url.EncodeToString(hmacKey), "https://ca.test/new-account");

        var protectedPart = binding.GetProperty("protected").GetString()!;
        var payloadPart = binding.GetProperty("payload").GetString()!;
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(protectedPart));
        Assert.Equal("HS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("kid-7", header.RootElement.GetProperty("kid").GetString());
        Assert.Equal("https://ca.test/new-account", header.RootElement.GetProperty("url").GetString());
        Assert.False(header.RootElement.TryGetProperty("nonce", out _));
        Assert.Equal(key.JwkJson, Encoding.UTF8.GetString(Base64Url.DecodeFromChars(payloadPart)));
        var expected = HMACSHA256.HashData(hmacKey, Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart));
        Assert.Equal(Base64Url.EncodeToString(expected), binding.GetProperty("signature").GetString());
    }

    [Fact]
    public void RefusesKeysOtherThanP256()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => new AcmeAccountKey(p384));
    }
}
