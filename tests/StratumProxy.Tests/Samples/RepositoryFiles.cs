namespace StratumProxy.Tests.Samples;

/// <summary>Locates the repository root (the directory holding <c>Proxy.sln</c>) and files under it.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Path relative to the root with forward slashes, as written in docs and test names.</summary>
    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Proxy.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Proxy.sln above {AppContext.BaseDirectory}.");
    }
}
