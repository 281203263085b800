namespace StratumProxy.Acme.Challenges;

/// <summary>Puts a challenge response in place where the CA will look for it, and takes it away afterwards.</summary>
public interface IAcmeChallengeResponder
{
    /// <summary>The ACME challenge type answered: <c>http-01</c> or <c>tls-alpn-01</c>.</summary>
    string ChallengeType { get; }

    void Provision(string host, string token, string keyAuthorization);

    void Remove(string host, string token);
}
