using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Prometheus;
using StratumProxy.Filtering;

namespace StratumProxy.Tests.Filtering;

/// <summary>Paths and helpers shared by the filtering tests.</summary>
internal static class FilteringTestSupport
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The free country database <c>scripts/install-geodb.sh</c> installs, or the one named by STRATUM_PROXY_GEODB.</summary>
    public static string RealCountryDatabase =>
        Environment.GetEnvironmentVariable("STRATUM_PROXY_GEODB") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(RepositoryRoot, ".tools", "geodb", "node_modules", "@ip-location-db",
                "geo-whois-asn-country-mmdb", "geo-whois-asn-country.mmdb");

    public static string FixtureWriterScript => Path.Combine(RepositoryRoot, "tests", "StratumProxy.Tests", "Filtering", "write-country-mmdb.pl");

    public static FilterMetrics NewMetrics(out CollectorRegistry registry)
    {
        registry = Metrics.NewCustomRegistry();
        return new FilterMetrics(Metrics.WithCustomRegistry(registry));
    }

    /// <summary>Writes a MaxMind DB with the Perl writer; entries are <c>NETWORK=CC:SHAPE</c>.</summary>
    public static void WriteCountryDatabase(string output, int ipVersion, params string[] entries)
    {
        var start = new ProcessStartInfo("perl") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(FixtureWriterScript);
        start.ArgumentList.Add(output);
        start.ArgumentList.Add(ipVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var entry in entries)
        {
            start.ArgumentList.Add(entry);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The fixture database writer did not finish within 60 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The fixture database writer failed ({process.ExitCode}): {error.Result}");
        }
    }

    /// <summary>What an independent reader (Perl's MaxMind::DB::Reader) says about <paramref name="address"/>.</summary>
    public static string PerlLookup(string database, string address)
    {
        var start = new ProcessStartInfo("perl") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-MMaxMind::DB::Reader");
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(
            "my $r = MaxMind::DB::Reader->new(file => $ARGV[0])->record_for_address($ARGV[1]); " +
            "print $r ? ($r->{country}{iso_code} // $r->{registered_country}{iso_code} // $r->{country_code} // '') : ''");
        start.ArgumentList.Add(database);
        start.ArgumentList.Add(address);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The Perl reader did not finish within 60 s.");
        }

        return output.Result.Trim();
    }

    public static bool FixtureWriterAvailable { get; } = Probe("-MMaxMind::DB::Writer::Tree");

    private static bool Probe(string module)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("perl", [module, "-e", "1"]) { RedirectStandardError = true })!;
            process.WaitForExit(TimeSpan.FromSeconds(30));
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Proxy.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Proxy.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs the country database installed by <c>scripts/install-geodb.sh</c>.</summary>
internal sealed class RealCountryDatabaseFactAttribute : FactAttribute
{
    public RealCountryDatabaseFactAttribute()
    {
        if (!File.Exists(FilteringTestSupport.RealCountryDatabase))
        {
            Skip = $"No country database at {FilteringTestSupport.RealCountryDatabase}: run scripts/install-geodb.sh";
        }
    }
}

/// <summary>A fact that needs Debian's libmaxmind-db-writer-perl (installed by <c>scripts/install-geodb.sh</c>).</summary>
internal sealed class FixtureDatabaseFactAttribute : FactAttribute
{
    public FixtureDatabaseFactAttribute()
    {
        if (!FilteringTestSupport.FixtureWriterAvailable)
        {
            Skip = "MaxMind::DB::Writer is not installed: run scripts/install-geodb.sh";
        }
    }
}

/// <summary>Keeps log entries so a test can assert what was reported to the operator.</summary>
internal sealed class CollectingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, EventId Id, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
