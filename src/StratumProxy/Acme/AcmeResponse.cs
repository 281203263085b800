using System.Net;

namespace StratumProxy.Acme;

/// <summary>What the client keeps of one ACME response.</summary>
internal sealed record AcmeResponse(HttpStatusCode Status, string? Location, TimeSpan? RetryAfter, string? ContentType, byte[] Body);
