namespace StratumPool.Hosting;

/// <summary>Finds the configuration file of the standalone host.</summary>
public static class ConfigFileLocator
{
    public static string Locate(string[] args)
    {
        var index = Array.IndexOf(args, "--config");
        if (index >= 0)
        {
            if (index + 1 >= args.Length)
            {
                throw new ArgumentException("--config needs a path");
            }

            return Path.GetFullPath(args[index + 1]);
        }

        var local = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
        if (File.Exists(local))
        {
            return local;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Proxy.sln")) && File.Exists(Path.Combine(directory.FullName, "appsettings.json")))
                {
                    return Path.Combine(directory.FullName, "appsettings.json");
                }
            }
        }

        throw new FileNotFoundException("No appsettings.json found; pass --config PATH");
    }

    public static string[] WithoutConfigSwitch(string[] args)
    {
        var index = Array.IndexOf(args, "--config");
        return index < 0 ? args : [.. args[..index], .. args[Math.Min(args.Length, index + 2)..]];
    }
}
