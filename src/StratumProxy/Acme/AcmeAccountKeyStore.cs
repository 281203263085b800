using StratumProxy.Tls;

namespace StratumProxy.Acme;

/// <summary>The account key lives in <c>{StoragePath}/account.key.pem</c> (mode 0600), created on first use and reused afterwards.</summary>
internal static class AcmeAccountKeyStore
{
    public const string FileName = "account.key.pem";

    public static AcmeAccountKey LoadOrCreate(string storagePath)
    {
        var path = Path.Combine(storagePath, FileName);
        if (File.Exists(path))
        {
            return AcmeAccountKey.FromPem(File.ReadAllText(path));
        }

        var key = AcmeAccountKey.Create();
        PrivateFile.WriteAllText(path, key.ExportPem(), ownerOnly: true);
        return key;
    }
}
