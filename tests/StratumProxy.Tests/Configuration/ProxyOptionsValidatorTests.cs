using System.Text;
using Microsoft.Extensions.Configuration;
using StratumProxy.Configuration;

namespace StratumProxy.Tests.Configuration;

public sealed class ProxyOptionsValidatorTests
{
    private static ProxyConfigurationException LoadFails(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return Assert.Throws<ProxyConfigurationException>(() => ProxyOptionsLoader.Load(configuration));
    }

    private const string Valid = """
        { "Proxy": {
            "Listeners": { "btc": { "Endpoint": "0.0.0.0:3333", "Cluster": "btc-pool" } },
            "Clusters": { "btc-pool": { "Destinations": { "a": { "Address": "127.0.0.1:13333" } } } } } }
        """;

    [Fact]
    public void A_valid_configuration_loads()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Valid))).Build();
        var options = ProxyOptionsLoader.Load(configuration);
        Assert.Equal("btc-pool", options.Listeners["btc"].Cluster);
        Assert.Equal(65536, options.Limits.MaxLineBytes);
    }

    [Theory]
    [InlineData("\"Cluster\": \"btc-pool\"", "\"Cluster\": \"nope\"", "Proxy:Listeners:btc:Cluster: unknown cluster 'nope'")]
    [InlineData("\"0.0.0.0:3333\"", "\"0.0.0.0:99999\"", "Proxy:Listeners:btc:Endpoint")]
    [InlineData("\"Address\": \"127.0.0.1:13333\"", "\"Address\": \"127.0.0.1:13333\", \"Weight\": 0", "Proxy:Clusters:btc-pool:Destinations:a:Weight: must be at least 1")]
    [InlineData("\"Address\": \"127.0.0.1:13333\"", "\"Address\": \"not an endpoint\"", "Proxy:Clusters:btc-pool:Destinations:a:Address")]
    [InlineData("{ \"Destinations\"", "{ \"LoadBalancingPolicy\": \"Random\", \"Destinations\"", "Proxy:Clusters:btc-pool:LoadBalancingPolicy: unknown policy 'Random'")]
    [InlineData("\"Cluster\": \"btc-pool\" }", "\"Cluster\": \"btc-pool\", \"Tls\": { \"Certificate\": \"Acme\" } }", "Proxy:Listeners:btc:Tls:Hosts")]
    [InlineData("\"Cluster\": \"btc-pool\" }", "\"Cluster\": \"btc-pool\", \"Tls\": { \"Protocols\": [\"Tls11\"] } }", "Proxy:Listeners:btc:Tls:Protocols:0")]
    [InlineData("{ \"Proxy\": {", "{ \"Proxy\": { \"Memory\": { \"QuietPeriod\": \"00:00:00.01\" },", "Proxy:Memory:QuietPeriod: must be between")]
    [InlineData("{ \"Proxy\": {", "{ \"Proxy\": { \"Memory\": { \"TrimAfterGrowthMiB\": 0 },", "Proxy:Memory:TrimAfterGrowthMiB: must be 1 or more")]
    [InlineData("{ \"Proxy\": {", "{ \"Proxy\": { \"Memory\": { \"QuietBelowKiBPerSecond\": 0 },", "Proxy:Memory:QuietBelowKiBPerSecond: must be 1 or more")]
    [InlineData("{ \"Proxy\": {", "{ \"Proxy\": { \"Memory\": { \"MaxWaitForTrafficGap\": \"-00:00:01\" },", "Proxy:Memory:MaxWaitForTrafficGap: must be between")]
    public void Errors_name_the_key_and_the_problem(string find, string replace, string expected)
    {
        var error = LoadFails(Valid.Replace(find, replace, StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_listeners_on_one_port_are_refused()
    {
        var json = Valid.Replace(
            "\"btc\": { \"Endpoint\": \"0.0.0.0:3333\", \"Cluster\": \"btc-pool\" }",
            "\"btc\": { \"Endpoint\": \"0.0.0.0:3333\", \"Cluster\": \"btc-pool\" }, \"again\": { \"Endpoint\": \"127.0.0.1:3333\", \"Cluster\": \"btc-pool\" }",
            StringComparison.Ordinal);
        // Configuration keys come sorted, so which of the two is named first is the provider's choice.
        var error = Assert.Single(LoadFails(json).Errors);
        Assert.Matches(@"^Proxy:Listeners:(btc|again):Endpoint: port 3333 is already used by Proxy:Listeners:(btc|again):Endpoint\.$", error);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var json = Valid
            .Replace("\"Cluster\": \"btc-pool\"", "\"Cluster\": \"nope\"", StringComparison.Ordinal)
            .Replace("\"Address\": \"127.0.0.1:13333\"", "\"Address\": \"127.0.0.1:13333\", \"Weight\": -1", StringComparison.Ordinal);
        Assert.Equal(2, LoadFails(json).Errors.Count);
    }

    [Fact]
    public void Misspelt_keys_and_bad_values_name_the_key()
    {
        var typo = LoadFails(Valid.Replace("\"Cluster\": \"btc-pool\"", "\"Cluster\": \"btc-pool\", \"MaxConections\": 5", StringComparison.Ordinal));
        Assert.Contains("MaxConections", typo.Message, StringComparison.Ordinal);

        var badTime = LoadFails(Valid.Replace("\"Destinations\"", "\"ConnectTimeout\": \"soon\", \"Destinations\"", StringComparison.Ordinal));
        Assert.Contains("Proxy:Clusters:btc-pool:ConnectTimeout", badTime.Message, StringComparison.Ordinal);
    }
}
