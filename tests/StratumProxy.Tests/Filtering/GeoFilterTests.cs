using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Configuration;
using StratumProxy.Filtering;

namespace StratumProxy.Tests.Filtering;

public sealed class GeoFilterTests(CountryFixture fixture) : IClassFixture<CountryFixture>
{
    private static readonly IPAddress French = IPAddress.Parse("203.0.113.10");
    private static readonly IPAddress Japanese = IPAddress.Parse("198.51.100.10");
    private static readonly IPAddress German = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress NotInDatabase = IPAddress.Parse("198.18.0.10");
    private static readonly IPAddress Private = IPAddress.Parse("10.0.0.10");

    private readonly ICountryLookup? _lookup = fixture.Lookup;

    [FixtureDatabaseFact]
    public void Deny_list_refuses_its_countries_only()
    {
        var filter = new GeoFilter(new GeoFilterOptions { DenyCountries = ["fr"] }, _lookup!);

        Assert.Equal(new GeoVerdict(false, "FR"), filter.Evaluate(French));
        Assert.Equal(new GeoVerdict(true, "JP"), filter.Evaluate(Japanese));
        Assert.Equal(new GeoVerdict(true, null), filter.Evaluate(NotInDatabase));
    }

    [FixtureDatabaseFact]
    public void Allow_list_admits_only_its_countries()
    {
        var filter = new GeoFilter(new GeoFilterOptions { AllowCountries = ["JP", "DE"] }, _lookup!);

        Assert.False(filter.Evaluate(French).Allowed);
        Assert.True(filter.Evaluate(Japanese).Allowed);
        Assert.True(filter.Evaluate(German).Allowed);
    }

    [FixtureDatabaseFact]
    public void Deny_wins_over_allow()
    {
        var filter = new GeoFilter(new GeoFilterOptions { AllowCountries = ["FR", "JP"], DenyCountries = ["FR"] }, _lookup!);

        Assert.False(filter.Evaluate(French).Allowed);
        Assert.True(filter.Evaluate(Japanese).Allowed);
    }

    [FixtureDatabaseFact]
    public void Unknown_action_decides_for_addresses_not_in_the_database_and_private_ones()
    {
        var deny = new GeoFilter(new GeoFilterOptions { Unknown = GeoUnknownAction.Deny }, _lookup!);
        var allow = new GeoFilter(new GeoFilterOptions { AllowCountries = ["JP"], Unknown = GeoUnknownAction.Allow }, _lookup!);

        Assert.Equal(new GeoVerdict(false, null), deny.Evaluate(NotInDatabase));
        Assert.Equal(new GeoVerdict(false, null), deny.Evaluate(Private));
        Assert.Equal(new GeoVerdict(false, null), deny.Evaluate(IPAddress.Loopback));
        Assert.True(deny.Evaluate(French).Allowed);
        Assert.True(allow.Evaluate(NotInDatabase).Allowed);
        Assert.True(allow.Evaluate(Private).Allowed, "10/8 is listed as FR in the fixture but private addresses are unknown");
    }

    [Fact]
    public void Without_a_database_everything_is_unknown()
    {
        var filter = new GeoFilter(new GeoFilterOptions { Unknown = GeoUnknownAction.Deny }, NoCountryLookup.Instance);
        Assert.False(filter.Evaluate(IPAddress.Parse("8.8.8.8")).Allowed);
    }
}

/// <summary>One fixture database (written once with the Perl writer) shared by the geo filter tests.</summary>
public sealed class CountryFixture : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("geo-filter-");
    private readonly MaxMindCountryLookup? _lookup;

    public CountryFixture()
    {
        if (FilteringTestSupport.FixtureWriterAvailable)
        {
            var path = Path.Combine(_directory.FullName, "countries.mmdb");
            FilteringTestSupport.WriteCountryDatabase(path, 6,
                "203.0.113.0/24=FR:maxmind", "198.51.100.0/24=JP:flat", "192.0.2.0/24=DE:registered", "10.0.0.0/8=FR:flat");
            _lookup = new MaxMindCountryLookup(path, TimeProvider.System, NullLogger<MaxMindCountryLookup>.Instance, reloadOnChange: false);
        }
    }

    internal ICountryLookup? Lookup => _lookup;

    public void Dispose()
    {
        _lookup?.Dispose();
        _directory.Delete(recursive: true);
    }
}
