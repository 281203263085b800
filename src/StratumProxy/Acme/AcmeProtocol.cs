using System.Text.Json;
using System.Text.Json.Serialization;

namespace StratumProxy.Acme;

/// <summary>The directory object (RFC 8555 §7.1.1); <see cref="RenewalInfo"/> is RFC 9773 ARI, absent on servers without it.</summary>
internal sealed record AcmeDirectory
{
    public required string NewNonce { get; init; }

    public required string NewAccount { get; init; }

    public required string NewOrder { get; init; }

    public string? RevokeCert { get; init; }

    public string? KeyChange { get; init; }

    public string? RenewalInfo { get; init; }

    public AcmeDirectoryMeta? Meta { get; init; }
}

internal sealed record AcmeDirectoryMeta
{
    public string? TermsOfService { get; init; }

    public bool ExternalAccountRequired { get; init; }
}

internal sealed record AcmeIdentifier(string Type, string Value);

internal sealed record AcmeOrder
{
    public required string Status { get; init; }

    public List<AcmeIdentifier> Identifiers { get; init; } = [];

    public List<string> Authorizations { get; init; } = [];

    public required string Finalize { get; init; }

    public string? Certificate { get; init; }

    public AcmeProblem? Error { get; init; }
}

internal sealed record AcmeAuthorization
{
    public required string Status { get; init; }

    public required AcmeIdentifier Identifier { get; init; }

    public List<AcmeChallenge> Challenges { get; init; } = [];

    public bool Wildcard { get; init; }
}

internal sealed record AcmeChallenge
{
    public required string Type { get; init; }

    public required string Url { get; init; }

    public string? Token { get; init; }

    public required string Status { get; init; }

    public AcmeProblem? Error { get; init; }
}

/// <summary>An RFC 7807 problem document as ACME uses it (RFC 8555 §6.7).</summary>
public sealed record AcmeProblem
{
    public string? Type { get; init; }

    public string? Detail { get; init; }

    public int? Status { get; init; }

    public List<AcmeProblem>? Subproblems { get; init; }
}

/// <summary>ARI's answer (RFC 9773 §4.2).</summary>
internal sealed record AcmeRenewalInfo
{
    public required AcmeRenewalWindow SuggestedWindow { get; init; }

    public string? ExplanationUrl { get; init; }
}

internal sealed record AcmeRenewalWindow(DateTimeOffset Start, DateTimeOffset End);

internal sealed record AcmeNewAccountRequest
{
    public bool TermsOfServiceAgreed { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Contact { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? ExternalAccountBinding { get; init; }
}

internal sealed record AcmeNewOrderRequest(List<AcmeIdentifier> Identifiers);

internal sealed record AcmeFinalizeRequest(string Csr);

internal sealed record AcmeEmptyObject;

/// <summary>The protected header of a JWS (RFC 8555 §6.2); exactly one of <see cref="Jwk"/> and <see cref="Kid"/> is set.</summary>
internal sealed record JwsProtectedHeader
{
    public required string Alg { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Jwk { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Kid { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Nonce { get; init; }

    public required string Url { get; init; }
}

internal sealed record JwsMessage(string Protected, string Payload, string Signature);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeChallenge))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(AcmeRenewalInfo))]
[JsonSerializable(typeof(AcmeNewAccountRequest))]
[JsonSerializable(typeof(AcmeNewOrderRequest))]
[JsonSerializable(typeof(AcmeFinalizeRequest))]
[JsonSerializable(typeof(AcmeEmptyObject))]
[JsonSerializable(typeof(JwsProtectedHeader))]
[JsonSerializable(typeof(JwsMessage))]
internal sealed partial class AcmeJsonContext : JsonSerializerContext;

/// <summary>Status strings of ACME objects (RFC 8555 §7.1.6).</summary>
internal static class AcmeStatus
{
    public const string Pending = "pending";
    public const string Ready = "ready";
    public const string Processing = "processing";
    public const string Valid = "valid";
    public const string Invalid = "invalid";
}
