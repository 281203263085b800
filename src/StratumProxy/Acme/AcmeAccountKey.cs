using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StratumProxy.Acme;

/// <summary>The account's ES256 (ECDSA P-256) key and what ACME derives from it: the JWK, its thumbprint, JWS signatures.</summary>
internal sealed class AcmeAccountKey : IDisposable
{
    private readonly ECDsa _key;

    public AcmeAccountKey(ECDsa key)
    {
        if (key.KeySize != 256)
        {
            throw new ArgumentException("The ACME account key must be ECDSA P-256.", nameof(key));
        }

        _key = key;
        var parameters = key.ExportParameters(includePrivateParameters: false);
        // Members in lexicographic order, no whitespace: this exact form is hashed for the thumbprint (RFC 7638 §3.2).
        JwkJson = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(parameters.Q.X)}\",\"y\":\"{Base64Url.EncodeToString(parameters.Q.Y)}\"}}";
        using var jwk = JsonDocument.Parse(JwkJson);
        Jwk = jwk.RootElement.Clone();
        Thumbprint = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(JwkJson)));
    }

    /// <summary>The public key as a JWK in its canonical (thumbprint) form.</summary>
    public string JwkJson { get; }

    public JsonElement Jwk { get; }

    /// <summary>base64url(SHA-256(JWK)), the second half of every key authorization.</summary>
    public string Thumbprint { get; }

    public static AcmeAccountKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static AcmeAccountKey FromPem(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return new AcmeAccountKey(key);
    }

    public string ExportPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary><c>token.thumbprint</c> (RFC 8555 §8.1).</summary>
    public string KeyAuthorization(string token) => token + "." + Thumbprint;

    /// <summary>Flattened JWS JSON serialization signed with ES256 (signature is r||s, RFC 7518 §3.4).</summary>
    public JwsMessage Sign(JwsProtectedHeader header, ReadOnlySpan<byte> payload)
    {
        var protectedPart = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header, AcmeJsonContext.Default.JwsProtectedHeader));
        var payloadPart = Base64Url.EncodeToString(payload);
        var signingInput = Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart);
        var signature = _key.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new JwsMessage(protectedPart, payloadPart, Base64Url.EncodeToString(signature));
    }

    /// <summary>
    /// The <c>externalAccountBinding</c> member of a newAccount request (RFC 8555 §7.3.4): a JWS over the account JWK,
    /// HMAC-SHA256 with the key the CA handed out.
    /// </summary>
    public JsonElement ExternalAccountBinding(string keyId, string hmacKeyBase64Url, string newAccountUrl)
    {
        var header = $"{{\"alg\":\"HS256\",\"kid\":{JsonSerializer.Serialize(keyId, AcmeJsonContext.Default.String)},\"url\":{JsonSerializer.Serialize(newAccountUrl, AcmeJsonContext.Default.String)}}}";
        var protectedPart = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header));
        var payloadPart = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(JwkJson));
        var mac = HMACSHA256.HashData(Base64Url.DecodeFromChars(hmacKeyBase64Url.TrimEnd('=')), Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart));
        var jws = new JwsMessage(protectedPart, payloadPart, Base64Url.EncodeToString(mac));
        return JsonSerializer.SerializeToElement(jws, AcmeJsonContext.Default.JwsMessage);
    }

    public bool Verify(JwsMessage message)
    {
        var signingInput = Encoding.ASCII.GetBytes(message.Protected + "." + message.Payload);
        return _key.VerifyData(signingInput, Base64Url.DecodeFromChars(message.Signature), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public void Dispose() => _key.Dispose();
}
