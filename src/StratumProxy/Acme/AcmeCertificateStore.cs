using System.Security.Cryptography;
using System.Text;
using StratumProxy.Tls;

namespace StratumProxy.Acme;

/// <summary>
/// Issued certificates on disk: <c>{StoragePath}/certificates/{host set}/chain.pem</c> (leaf first) and <c>key.pem</c> (0600).
/// </summary>
internal sealed class AcmeCertificateStore(string storagePath)
{
    public const string ChainFileName = "chain.pem";
    public const string KeyFileName = "key.pem";

    public string DirectoryFor(IReadOnlyList<string> hosts) => Path.Combine(storagePath, "certificates", NameOf(hosts));

    /// <summary>The stored chain and key, or null when none is stored or the files do not load.</summary>
    public ServerCertificate? TryLoad(IReadOnlyList<string> hosts)
    {
        var directory = DirectoryFor(hosts);
        var chain = Path.Combine(directory, ChainFileName);
        var key = Path.Combine(directory, KeyFileName);
        if (!File.Exists(chain) || !File.Exists(key))
        {
            return null;
        }

        return ServerCertificate.FromPem(File.ReadAllText(chain), File.ReadAllText(key), "acme");
    }

    public ServerCertificate Save(IReadOnlyList<string> hosts, string chainPem, ECDsa key)
    {
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        var certificate = ServerCertificate.FromPem(chainPem, keyPem, "acme");
        var directory = DirectoryFor(hosts);
        // Key first: a crash between the two writes leaves a new key with the old chain, which fails to load and is re-ordered.
        PrivateFile.WriteAllText(Path.Combine(directory, KeyFileName), keyPem, ownerOnly: true);
        PrivateFile.WriteAllText(Path.Combine(directory, ChainFileName), chainPem, ownerOnly: false);
        return certificate;
    }

    /// <summary>A file-system-safe, stable name for a host set: the sorted hosts joined with '+', '*' spelled out.</summary>
    public static string NameOf(IReadOnlyList<string> hosts)
    {
        var builder = new StringBuilder();
        foreach (var host in hosts.Select(h => h.Trim().ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal))
        {
            if (builder.Length > 0)
            {
                builder.Append('+');
            }

            foreach (var c in host)
            {
                builder.Append(c switch
                {
                    '*' => "_wildcard_",
                    _ when char.IsAsciiLetterOrDigit(c) || c is '.' or '-' => c.ToString(),
                    _ => "_",
                });
            }
        }

        return builder.ToString();
    }
}
