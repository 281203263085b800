namespace StratumPool.Tests.Support;

/// <summary>A temporary directory removed at dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stratum-pool-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

public static class RepositoryPaths
{
    /// <summary>The repository root (the directory holding Proxy.sln).</summary>
    public static string Root
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (System.IO.File.Exists(Path.Combine(directory.FullName, "Proxy.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new DirectoryNotFoundException("Proxy.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
