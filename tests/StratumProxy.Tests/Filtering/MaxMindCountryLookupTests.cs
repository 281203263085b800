using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Filtering;

namespace StratumProxy.Tests.Filtering;

public sealed class MaxMindCountryLookupTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("country-lookup-");

    public void Dispose() => _directory.Delete(recursive: true);

    [RealCountryDatabaseFact]
    public void Real_database_knows_public_resolvers()
    {
        using var lookup = Open(FilteringTestSupport.RealCountryDatabase);

        Assert.Equal("US", lookup.GetCountry(IPAddress.Parse("8.8.8.8")));
        Assert.Equal("US", lookup.GetCountry(IPAddress.Parse("2001:4860:4860::8888")));
    }

    [RealCountryDatabaseFact]
    public void Real_database_answers_as_an_independent_reader_does()
    {
        using var lookup = Open(FilteringTestSupport.RealCountryDatabase);
        string[] addresses = ["1.1.1.1", "9.9.9.9", "77.88.8.8", "114.114.114.114", "200.160.0.8", "2a00:1450:4001::1"];

        foreach (var address in addresses)
        {
            var expected = FilteringTestSupport.PerlLookup(FilteringTestSupport.RealCountryDatabase, address);
            Assert.Matches("^[A-Z]{2}$", expected);
            Assert.Equal(expected, lookup.GetCountry(IPAddress.Parse(address)));
        }
    }

    [RealCountryDatabaseFact]
    public void IPv4_mapped_IPv6_is_looked_up_as_IPv4()
    {
        using var lookup = Open(FilteringTestSupport.RealCountryDatabase);
        var expected = lookup.GetCountry(IPAddress.Parse("1.1.1.1"));

        Assert.NotNull(expected);
        Assert.Equal(expected, lookup.GetCountry(IPAddress.Parse("::ffff:1.1.1.1")));
        Assert.Equal("US", lookup.GetCountry(IPAddress.Parse("8.8.8.8").MapToIPv6()));
    }

    [RealCountryDatabaseFact]
    public void Loopback_and_private_addresses_are_unknown()
    {
        using var lookup = Open(FilteringTestSupport.RealCountryDatabase);
        foreach (var address in new[] { "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.1.1", "::1", "fd00::1", "fe80::1", "::ffff:192.168.1.1" })
        {
            Assert.Null(lookup.GetCountry(IPAddress.Parse(address)));
        }
    }

    [FixtureDatabaseFact]
    public void Reads_both_record_shapes_and_the_registered_country_fallback()
    {
        var path = Fixture("shapes.mmdb", 6,
            "203.0.113.0/24=FR:maxmind", "198.51.100.0/24=JP:registered", "192.0.2.0/24=de:flat", "2001:db8::/32=BR:flat");
        using var lookup = Open(path);

        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("203.0.113.77")));
        Assert.Equal("JP", lookup.GetCountry(IPAddress.Parse("198.51.100.1")));
        Assert.Equal("DE", lookup.GetCountry(IPAddress.Parse("192.0.2.200")));
        Assert.Equal("BR", lookup.GetCountry(IPAddress.Parse("2001:db8:1::9")));
        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("::ffff:203.0.113.77")));
        Assert.Null(lookup.GetCountry(IPAddress.Parse("198.18.0.1")));
    }

    [FixtureDatabaseFact]
    public void Private_networks_are_unknown_even_when_the_database_lists_them()
    {
        var path = Fixture("private.mmdb", 6, "10.0.0.0/8=ZZ:flat", "fc00::/7=ZZ:flat", "203.0.113.0/24=FR:flat");
        using var lookup = Open(path);

        Assert.Null(lookup.GetCountry(IPAddress.Parse("10.9.9.9")));
        Assert.Null(lookup.GetCountry(IPAddress.Parse("fd12::1")));
        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));
    }

    [FixtureDatabaseFact]
    public void An_IPv4_only_database_treats_IPv6_clients_as_unknown()
    {
        var path = Fixture("v4.mmdb", 4, "203.0.113.0/24=FR:maxmind");
        using var lookup = Open(path);

        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));
        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("::ffff:203.0.113.1")));
        Assert.Null(lookup.GetCountry(IPAddress.Parse("2001:db8::1")));
    }

    [FixtureDatabaseFact]
    public void Reload_picks_up_a_replaced_file_and_keeps_the_old_data_when_the_new_file_is_bad()
    {
        var path = Fixture("reload.mmdb", 6, "203.0.113.0/24=FR:maxmind");
        using var lookup = Open(path);
        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));

        FilteringTestSupport.WriteCountryDatabase(path, 6, "203.0.113.0/24=IT:flat");
        Assert.True(lookup.Reload());
        Assert.Equal("IT", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));

        File.WriteAllText(path, "not a database");
        Assert.False(lookup.Reload());
        Assert.Equal("IT", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));
    }

    [FixtureDatabaseFact]
    public async Task A_changed_file_is_reloaded_by_itself()
    {
        var path = Fixture("watched.mmdb", 6, "203.0.113.0/24=FR:maxmind");
        using var lookup = new MaxMindCountryLookup(path, TimeProvider.System, NullLogger<MaxMindCountryLookup>.Instance, reloadOnChange: true);
        Assert.Equal("FR", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));

        FilteringTestSupport.WriteCountryDatabase(path, 6, "203.0.113.0/24=ES:flat");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (lookup.GetCountry(IPAddress.Parse("203.0.113.1")) != "ES" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal("ES", lookup.GetCountry(IPAddress.Parse("203.0.113.1")));
    }

    [Fact]
    public void A_missing_database_is_a_clear_error()
    {
        var path = Path.Combine(_directory.FullName, "absent.mmdb");
        var error = Assert.Throws<GeoDatabaseException>(() => Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_a_clear_error()
    {
        var path = Path.Combine(_directory.FullName, "garbage.mmdb");
        File.WriteAllText(path, "this is not a MaxMind DB");
        var error = Assert.Throws<GeoDatabaseException>(() => Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private string Fixture(string name, int ipVersion, params string[] entries)
    {
        var path = Path.Combine(_directory.FullName, name);
        FilteringTestSupport.WriteCountryDatabase(path, ipVersion, entries);
        return path;
    }

    private static MaxMindCountryLookup Open(string path) =>
        new(path, TimeProvider.System, NullLogger<MaxMindCountryLookup>.Instance, reloadOnChange: false);
}
