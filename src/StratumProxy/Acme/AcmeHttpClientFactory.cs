using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace StratumProxy.Acme;

/// <summary>The HttpClient that talks to the ACME directory, trusting <c>DirectoryCertificateAuthority</c> when set.</summary>
internal static class AcmeHttpClientFactory
{
    public static HttpClient Create(string? directoryCertificateAuthorityPemPath)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        if (!string.IsNullOrEmpty(directoryCertificateAuthorityPemPath))
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(directoryCertificateAuthorityPemPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                ValidateAgainst(roots, certificate as X509Certificate2, errors);
        }

        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("stratum-proxy-acme/1.0");
        return client;
    }

    /// <summary>Name checks stay with the platform; only the chain is built against the given roots instead of the system store.</summary>
    internal static bool ValidateAgainst(X509Certificate2Collection roots, X509Certificate2? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
