using System.Text.Json;
using System.Text.Json.Nodes;
using StratumPool.Daemon;
using StratumPool.Jobs;

namespace StratumPool.Tests.Jobs;

/// <summary>Locates and reads the shared Bitcoin golden vectors (../shared/data/bitcoin next to the repository).</summary>
internal static class BitcoinVectors
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException("Proxy.sln not found above " + AppContext.BaseDirectory);
        }

        var data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "bitcoin"));
        if (!Directory.Exists(data))
        {
            // Worktrees live one level deeper than the main checkout; the shared folder is next to both.
            data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "..", "shared", "data", "bitcoin"));
        }

        return Directory.Exists(data) ? data : throw new DirectoryNotFoundException("Bitcoin vectors not found: " + data);
    });

    public static string Dir => Root.Value;

    public static string FilePath(params string[] parts) => Path.Combine([Dir, .. parts]);

    public static JsonNode Json(params string[] parts) => JsonNode.Parse(File.ReadAllText(FilePath(parts)))!;

    public static BlockTemplate Template(string name) =>
        JsonSerializer.Deserialize(File.ReadAllText(FilePath("templates", name)), DaemonJsonContext.Default.BlockTemplate)!;

    public static IEnumerable<string> BlockHashes() =>
        Directory.EnumerateFiles(FilePath("blocks"), "*.hex").Select(f => Path.GetFileNameWithoutExtension(f)).Order();

    /// <summary>The <c>mining.notify</c> params of a vector file as <see cref="NotifyParameters"/>.</summary>
    public static NotifyParameters Notify(JsonNode vector)
    {
        var p = vector["notify"]!["params"]!.AsArray();
        return new NotifyParameters(
            (string)p[0]!,
            (string)p[1]!,
            (string)p[2]!,
            (string)p[3]!,
            p[4]!.AsArray().Select(n => (string)n!).ToArray(),
            (string)p[5]!,
            (string)p[6]!,
            (string)p[7]!);
    }
}
