using System.Collections.Concurrent;

namespace StratumProxy.Acme.Challenges;

/// <summary>Pending http-01 answers: token to key authorization, served at <c>/.well-known/acme-challenge/{token}</c>.</summary>
public sealed class Http01ChallengeStore : IAcmeChallengeResponder
{
    private readonly ConcurrentDictionary<string, string> _answers = new(StringComparer.Ordinal);

    public string ChallengeType => "http-01";

    public void Provision(string host, string token, string keyAuthorization) => _answers[token] = keyAuthorization;

    public void Remove(string host, string token) => _answers.TryRemove(token, out _);

    public bool TryGetKeyAuthorization(string token, out string keyAuthorization) =>
        _answers.TryGetValue(token, out keyAuthorization!);
}
