using StratumProxy.Acme.Challenges;

namespace StratumProxy.Acme.Http;

public static class AcmeHttpChallengeEndpoints
{
    public const string Pattern = "/.well-known/acme-challenge/{token}";

    /// <summary>Serves pending http-01 key authorizations at <c>/.well-known/acme-challenge/{token}</c>; 404 for unknown tokens.</summary>
    public static IEndpointConventionBuilder MapAcmeHttpChallenge(this IEndpointRouteBuilder endpoints, Http01ChallengeStore store) =>
        endpoints.MapGet(Pattern, (string token) => store.TryGetKeyAuthorization(token, out var keyAuthorization)
            ? Results.Text(keyAuthorization, "application/octet-stream")
            : Results.NotFound());
}
