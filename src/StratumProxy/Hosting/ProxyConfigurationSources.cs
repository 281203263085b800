namespace StratumProxy.Hosting;

/// <summary>
/// Where the configuration comes from: <c>--config PATH</c> replaces the default <c>appsettings.json</c>
/// (not merged with it); environment variables and command-line keys override either, as usual in ASP.NET Core.
/// </summary>
public static class ProxyConfigurationSources
{
    /// <summary>The configuration file to use and the arguments left for the command-line provider.</summary>
    public static (string Path, string[] RemainingArgs) Resolve(string[] args)
    {
        string? path = null;
        var remaining = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--config" or "-c" && i + 1 < args.Length)
            {
                path = args[++i];
            }
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                path = args[i]["--config=".Length..];
            }
            else
            {
                remaining.Add(args[i]);
            }
        }

        path ??= FindDefault();
        return (Path.GetFullPath(path), remaining.ToArray());
    }

    private static string FindDefault()
    {
        var inWorkingDirectory = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        if (File.Exists(inWorkingDirectory))
        {
            return inWorkingDirectory;
        }

        // `dotnet run --project src/StratumProxy` starts in the project folder: use the repository's own file (so
        // edits to it reload) and work from the repository root, where its relative paths (data/, .tools/) point.
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "appsettings.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "Proxy.sln")))
            {
                Directory.SetCurrentDirectory(directory.FullName);
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "appsettings.json");
    }

    public static void Apply(ConfigurationManager configuration, string path, string[] args)
    {
        if (!File.Exists(path))
        {
            throw new Configuration.ProxyConfigurationException($"Configuration file '{path}' does not exist.");
        }

        configuration.Sources.Clear();
        configuration.AddJsonFile(path, optional: false, reloadOnChange: true);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
    }
}
