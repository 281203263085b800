using System.Net;
using StratumProxy.Filtering;

namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>
/// The geo filter on a real listener with the real country database installed by <c>scripts/install-geodb.sh</c>;
/// public source addresses are presented from loopback with PROXY headers.
/// </summary>
public sealed class GeoFilterListenerTests
{
    private const string Geo = "Proxy:Listeners:" + FilteredEchoServer.Listener + ":Geo:";

    private static readonly IPAddress GooglePublicDns = IPAddress.Parse("8.8.8.8"); // US in every country database
    private static readonly IPAddress CloudflareDns = IPAddress.Parse("1.1.1.1");

    [RealCountryDatabaseFact]
    public async Task Denied_country_is_refused_and_others_are_admitted()
    {
        await using var server = await FilteredEchoServer.StartAsync(new()
        {
            ["Proxy:Geo:Database"] = RealCountryDatabase.Path,
            [Geo + "DenyCountries:0"] = "US",
        }, proxyHeaders: true);

        using var american = await server.ConnectAdmittedAsync(GooglePublicDns);
        Assert.True(american is null);
        using var americanOverIPv6 = await server.ConnectAdmittedAsync(IPAddress.Parse("2001:4860:4860::8888"));
        Assert.True(americanOverIPv6 is null);
        Assert.Equal(2, server.Rejected(RejectionReasons.Geo));

        var cloudflareCountry = server.Lookup(CloudflareDns);
        Assert.NotNull(cloudflareCountry);
        Assert.NotEqual("US", cloudflareCountry);
        using var other = await server.ConnectAdmittedAsync(CloudflareDns);
        Assert.True(other is not null, $"1.1.1.1 is {cloudflareCountry} in the database, not denied");
    }

    [RealCountryDatabaseFact]
    public async Task Allow_list_admits_its_country_only_and_unknown_deny_refuses_loopback()
    {
        await using var server = await FilteredEchoServer.StartAsync(new()
        {
            ["Proxy:Geo:Database"] = RealCountryDatabase.Path,
            [Geo + "AllowCountries:0"] = "US",
            [Geo + "Unknown"] = "Deny",
        }, proxyHeaders: true);

        using var american = await server.ConnectAdmittedAsync(GooglePublicDns);
        Assert.True(american is not null);
        using var other = await server.ConnectAdmittedAsync(CloudflareDns);
        Assert.True(other is null);
        using var mapped = await server.ConnectAdmittedAsync(GooglePublicDns.MapToIPv6());
        Assert.True(mapped is not null, "an IPv4-mapped address is looked up as IPv4");
        using var loopback = await server.ConnectAdmittedAsync(IPAddress.Loopback);
        Assert.True(loopback is null, "loopback is unknown and unknown is denied");
        Assert.Equal(2, server.Rejected(RejectionReasons.Geo));
    }

    [RealCountryDatabaseFact]
    public async Task A_listener_without_a_geo_section_admits_every_country()
    {
        await using var server = await FilteredEchoServer.StartAsync(new()
        {
            ["Proxy:Geo:Database"] = RealCountryDatabase.Path,
            ["Proxy:Listeners:other:Geo:DenyCountries:0"] = "US",
        }, proxyHeaders: true);

        using var american = await server.ConnectAdmittedAsync(GooglePublicDns);
        Assert.True(american is not null);
    }
}
