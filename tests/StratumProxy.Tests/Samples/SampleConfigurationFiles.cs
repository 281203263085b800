using System.Text.Json;
using Microsoft.Extensions.Configuration;
using StratumProxy.Configuration;

namespace StratumProxy.Tests.Samples;

/// <summary>Finds the sample configuration files and loads them the way the host does.</summary>
internal static class SampleConfigurationFiles
{
    /// <summary>Where <c>scripts/install-geodb.sh</c> installs the country database (git-ignored, so absent on a fresh clone).</summary>
    public const string InstalledGeoDatabasePrefix = ".tools/geodb/";

    /// <summary>Every <c>samples/**/*.json</c> whose root object has a <c>Proxy</c> section, relative to the repository root.</summary>
    public static IReadOnlyList<string> ProxyConfigurations()
    {
        var samples = RepositoryFiles.PathOf("samples");
        return Directory.EnumerateFiles(samples, "*.json", SearchOption.AllDirectories)
            .Where(HasProxySection)
            .Select(RepositoryFiles.Relative)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static bool HasProxySection(string path) => HasSection(path, ProxyOptions.SectionName);

    public static bool HasSection(string path, string section)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty(section, out _);
    }

    /// <summary>
    /// Loads <paramref name="path"/> through <see cref="ProxyOptionsLoader.Load"/>. Relative file paths in the sample are
    /// resolved against the repository root (the host resolves them against its working directory, the root when run as
    /// documented); the country database that only the install script creates is stood in for by an empty file in
    /// <paramref name="scratch"/>. Any other missing file is left as written, so the validation reports it.
    /// </summary>
    public static ProxyOptions Load(string path, string scratch)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
        var overrides = new Dictionary<string, string?>();
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is { Length: > 0 } && IsFileKey(key) && !Path.IsPathRooted(value))
            {
                overrides[key] = ResolveFile(value, scratch);
            }
        }

        var effective = new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection(overrides)
            .Build();
        return ProxyOptionsLoader.Load(effective);
    }

    private static bool IsFileKey(string key) =>
        key.Equals("Proxy:Geo:Database", StringComparison.OrdinalIgnoreCase)
        || key.Equals("Proxy:Acme:DirectoryCertificateAuthority", StringComparison.OrdinalIgnoreCase)
        || (key.StartsWith("Proxy:Listeners:", StringComparison.OrdinalIgnoreCase)
            && (key.EndsWith(":Tls:CertificatePath", StringComparison.OrdinalIgnoreCase)
                || key.EndsWith(":Tls:KeyPath", StringComparison.OrdinalIgnoreCase)));

    private static string ResolveFile(string relative, string scratch)
    {
        var inRepository = RepositoryFiles.PathOf(relative);
        if (File.Exists(inRepository))
        {
            return inRepository;
        }

        if (relative.Replace('\\', '/').StartsWith(InstalledGeoDatabasePrefix, StringComparison.Ordinal))
        {
            var placeholder = Path.Combine(scratch, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(placeholder)!);
            File.WriteAllBytes(placeholder, []);
            return placeholder;
        }

        return inRepository;
    }
}
