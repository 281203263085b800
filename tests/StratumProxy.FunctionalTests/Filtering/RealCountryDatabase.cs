namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>Where <c>scripts/install-geodb.sh</c> puts the free country database (or STRATUM_PROXY_GEODB).</summary>
internal static class RealCountryDatabase
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("STRATUM_PROXY_GEODB") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Proxy.sln")))
            {
                return System.IO.Path.Combine(directory.FullName, ".tools", "geodb", "node_modules", "@ip-location-db",
                    "geo-whois-asn-country-mmdb", "geo-whois-asn-country.mmdb");
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
        if (!File.Exists(RealCountryDatabase.Path))
        {
            Skip = $"No country database at {RealCountryDatabase.Path}: run scripts/install-geodb.sh";
        }
    }
}
