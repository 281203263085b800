using System.Diagnostics;

namespace StratumProxy.Tests.Samples;

public sealed class SystemdUnitTests
{
    private static readonly string UnitPath = RepositoryFiles.PathOf("samples", "systemd", "stratum-proxy.service");

    [Fact]
    public void Unit_uses_the_hosts_systemd_integration_and_reloads_with_sighup()
    {
        var service = Section("Service");

        Assert.Equal(["notify"], service["Type"]);
        Assert.Equal(["/bin/kill -HUP $MAINPID"], service["ExecReload"]);
        Assert.Equal(["on-failure"], service["Restart"]);
        Assert.Contains("--config /etc/stratum-proxy/appsettings.json", Assert.Single(service["ExecStart"]), StringComparison.Ordinal);
        Assert.Equal(["stratum-proxy"], service["ConfigurationDirectory"]);
    }

    [Fact]
    public void Unit_is_hardened_and_keeps_state_in_its_state_directory()
    {
        var service = Section("Service");

        Assert.Equal(["yes"], service["DynamicUser"]);
        Assert.Equal(["strict"], service["ProtectSystem"]);
        Assert.Equal(["stratum-proxy"], service["StateDirectory"]);
        Assert.Equal(["/var/lib/stratum-proxy"], service["WorkingDirectory"]);
        Assert.Equal(["CAP_NET_BIND_SERVICE"], service["AmbientCapabilities"]);
        Assert.Equal(["1048576"], service["LimitNOFILE"]);
        Assert.False(service.ContainsKey("MemoryDenyWriteExecute"), "the .NET JIT needs writable and executable memory.");
    }

    [Fact]
    public void Unit_and_image_run_the_runtime_with_the_same_small_gen0_budget()
    {
        var unit = Section("Service")["Environment"].Where(e => e.StartsWith("DOTNET_GC", StringComparison.Ordinal)).ToList();
        var image = File.ReadAllText(RepositoryFiles.PathOf("docker/Dockerfile"));

        Assert.Equal(["DOTNET_GCgen0size=0x400000"], unit);
        Assert.Contains("DOTNET_GCgen0size=0x400000", image, StringComparison.Ordinal);
    }

    [Fact]
    public void Stop_timeout_outlasts_the_default_drain()
    {
        var stop = TimeSpan.FromSeconds(int.Parse(Assert.Single(Section("Service")["TimeoutStopSec"]), System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(stop > new StratumProxy.Configuration.LimitsOptions().DrainTimeout + TimeSpan.FromSeconds(5));
    }

    [SystemdAnalyzeFact]
    public void Systemd_accepts_every_line_of_the_unit()
    {
        // systemd-analyze exits 0 on unknown keys and bad values and only warns, so its warnings are the verdict.
        // ExecStart must name an existing executable: point it at this machine's dotnet, wherever it is installed.
        var directory = Directory.CreateTempSubdirectory("stratum-unit-");
        try
        {
            var unit = Path.Combine(directory.FullName, "stratum-proxy.service");
            File.WriteAllText(unit, File.ReadAllText(UnitPath).Replace("/usr/bin/dotnet ", DotnetHost() + " ", StringComparison.Ordinal));

            var (exitCode, output) = Run("systemd-analyze", "verify", "--man=no", unit);

            Assert.True(exitCode == 0, output);
            var complaints = output.Split('\n').Where(l => l.Contains("stratum-proxy.service", StringComparison.Ordinal)).ToList();
            Assert.True(complaints.Count == 0, string.Join('\n', complaints));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Dictionary<string, List<string>> Section(string name)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var current = "";
        foreach (var raw in File.ReadAllLines(UnitPath))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';'))
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = line[1..^1];
                continue;
            }

            var equals = line.IndexOf('=');
            if (current == name && equals > 0)
            {
                var key = line[..equals];
                if (!values.TryGetValue(key, out var list))
                {
                    values[key] = list = [];
                }

                list.Add(line[(equals + 1)..]);
            }
        }

        return values;
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (fromSdk is { Length: > 0 } && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "dotnet"))
            .First(File.Exists);
    }

    internal static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>Runs only where <c>systemd-analyze</c> is installed (<c>scripts/install-ops-tools.sh</c> installs it).</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public SystemdAnalyzeFactAttribute()
    {
        if (!File.Exists("/usr/bin/systemd-analyze") && !File.Exists("/bin/systemd-analyze"))
        {
            Skip = "systemd-analyze is not installed: run scripts/install-ops-tools.sh";
        }
    }
}
