using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using StratumProxy.Configuration;

namespace StratumProxy.Tests.Samples;

public sealed class SampleConfigurationTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("stratum-samples-");

    public static TheoryData<string> ProxyConfigurations() => new(SampleConfigurationFiles.ProxyConfigurations());

    public void Dispose() => _scratch.Delete(recursive: true);

    [Theory]
    [MemberData(nameof(ProxyConfigurations))]
    public void Sample_configuration_passes_the_real_validation(string relativePath)
    {
        var options = Load(relativePath);

        Assert.NotEmpty(options.Listeners);
        Assert.All(options.Listeners.Values, listener => Assert.True(options.Clusters.ContainsKey(listener.Cluster!)));
    }

    public static TheoryData<string> PoolConfigurations()
    {
        var files = SampleConfigurationFiles.ProxyConfigurations().Append("appsettings.json").Append("docker/appsettings.docker.json");
        return new(files.Where(f => SampleConfigurationFiles.HasSection(RepositoryFiles.PathOf(f), "Pool")));
    }

    [Theory]
    [MemberData(nameof(PoolConfigurations))]
    public void Pool_section_passes_the_pool_engines_validation(string relativePath)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(RepositoryFiles.PathOf(relativePath)).Build();

        var errors = PoolSectionValidation.Validate(configuration);

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void Samples_with_the_bundled_pool_are_found()
    {
        Assert.Contains("samples/pool-regtest.json", PoolConfigurations().Cast<object[]>().Select(row => (string)row[0]));
    }

    [Fact]
    public void Root_appsettings_passes_the_real_validation()
    {
        var options = Load("appsettings.json");

        Assert.Contains(options.Listeners.Values, l => l.Endpoint == "0.0.0.0:3333");
        Assert.Equal("127.0.0.1:9100", options.Management.Endpoint);
    }

    [Fact]
    public void Every_scenario_the_readme_promises_has_a_sample()
    {
        var configurations = SampleConfigurationFiles.ProxyConfigurations();
        string[] expected =
        [
            "samples/single-coin-tls.json", "samples/two-coins.json", "samples/load-balancing.json", "samples/worker-routing.json",
            "samples/geo-and-bans.json", "samples/behind-load-balancer.json", "samples/pool-regtest.json",
        ];
        Assert.All(expected, path => Assert.Contains(path, configurations));
    }

    [Fact]
    public void Readme_links_every_file_in_samples_and_only_existing_ones()
    {
        var readme = File.ReadAllText(RepositoryFiles.PathOf("samples", "README.md"));
        var links = System.Text.RegularExpressions.Regex.Matches(readme, @"\]\(([^)#:]+)\)").Select(m => m.Groups[1].Value).ToHashSet();

        foreach (var link in links)
        {
            Assert.True(File.Exists(RepositoryFiles.PathOf("samples", link)), $"samples/README.md links to missing '{link}'.");
        }

        var samples = RepositoryFiles.PathOf("samples");
        var files = Directory.EnumerateFiles(samples, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(samples, f).Replace('\\', '/'))
            .Where(f => f != "README.md");
        Assert.All(files, file => Assert.Contains(file, links));
    }

    [Fact]
    public void Top_readme_links_every_sample_with_a_line_of_why()
    {
        var readme = File.ReadAllText(RepositoryFiles.PathOf("README.md"));
        var rows = System.Text.RegularExpressions.Regex.Matches(readme, @"^\| \[samples/[^\]]+\]\((samples/[^)]+)\) \| (.+) \|$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());

        var samples = RepositoryFiles.PathOf("samples");
        var files = Directory.EnumerateFiles(samples, "*", SearchOption.AllDirectories)
            .Select(f => "samples/" + Path.GetRelativePath(samples, f).Replace('\\', '/'))
            .Where(f => f != "samples/README.md" && f != "samples/bitcoin.conf");
        Assert.All(files, file => Assert.True(rows.TryGetValue(file, out var why) && why.Length > 20, $"README.md has no row for {file}"));
        Assert.All(rows.Keys, link => Assert.True(File.Exists(RepositoryFiles.PathOf(link.Split('/'))), $"README.md links to missing {link}"));
    }

    [Fact]
    public void Two_coin_sample_keeps_each_coin_on_its_own_cluster_and_usual_ports()
    {
        var options = Load("samples/two-coins.json");

        Assert.Equal("btc-pool", options.Listeners["btc"].Cluster);
        Assert.Equal("btc-pool", options.Listeners["btc-ssl"].Cluster);
        Assert.Equal("bch-pool", options.Listeners["bch"].Cluster);
        Assert.Equal("bch-pool", options.Listeners["bch-ssl"].Cluster);
        Assert.Equal(["0.0.0.0:3333", "0.0.0.0:3334", "0.0.0.0:3335", "0.0.0.0:3336"], options.Listeners.Values.Select(l => l.Endpoint).Order());
        Assert.Empty(options.Clusters["btc-pool"].Destinations.Keys.Intersect(options.Clusters["bch-pool"].Destinations.Keys));
    }

    [Fact]
    public void Load_balancing_sample_has_three_primaries_and_a_backup()
    {
        var destinations = Load("samples/load-balancing.json").Clusters["btc-pool"].Destinations.Values.ToList();

        Assert.Equal(3, destinations.Count(d => !d.Backup));
        Assert.Single(destinations, d => d.Backup);
    }

    [Fact]
    public void Worker_routing_sample_hashes_on_the_worker()
    {
        var cluster = Load("samples/worker-routing.json").Clusters["btc-pool"];

        Assert.Equal("Hash", cluster.LoadBalancingPolicy);
        Assert.Equal(HashKeyKind.Worker, cluster.HashKey);
    }

    [Fact]
    public void Load_balancer_sample_trusts_only_its_balancers()
    {
        var options = Load("samples/behind-load-balancer.json");

        Assert.All(options.Listeners.Values, l =>
        {
            Assert.True(l.AcceptProxyProtocol);
            Assert.NotEmpty(l.TrustedProxies);
        });
    }

    [Fact]
    public void A_broken_copy_of_a_sample_is_refused_naming_the_key()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("samples", "load-balancing.json")))!;
        sample["Proxy"]!["Listeners"]!["btc"]!["Cluster"] = "no-such-cluster";
        var broken = Path.Combine(_scratch.FullName, "broken.json");
        File.WriteAllText(broken, sample.ToJsonString());

        var error = Assert.Throws<ProxyConfigurationException>(() => SampleConfigurationFiles.Load(broken, _scratch.FullName));

        Assert.Contains(error.Errors, e => e.Contains("Proxy:Listeners:btc:Cluster", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_key_in_a_sample_is_refused()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("samples", "worker-routing.json")))!;
        sample["Proxy"]!["Clusters"]!["btc-pool"]!["HashKye"] = "Worker";
        var broken = Path.Combine(_scratch.FullName, "misspelt.json");
        File.WriteAllText(broken, sample.ToJsonString());

        var error = Assert.Throws<ProxyConfigurationException>(() => SampleConfigurationFiles.Load(broken, _scratch.FullName));

        Assert.Contains(error.Errors, e => e.Contains("HashKye", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_file_outside_the_install_locations_is_still_reported()
    {
        var sample = JsonNode.Parse(File.ReadAllText(RepositoryFiles.PathOf("samples", "geo-and-bans.json")))!;
        sample["Proxy"]!["Geo"]!["Database"] = "samples/no-such-country.mmdb";
        var broken = Path.Combine(_scratch.FullName, "missing-db.json");
        File.WriteAllText(broken, sample.ToJsonString());

        var error = Assert.Throws<ProxyConfigurationException>(() => SampleConfigurationFiles.Load(broken, _scratch.FullName));

        Assert.Contains(error.Errors, e => e.StartsWith("Proxy:Geo:Database", StringComparison.Ordinal));
    }

    private ProxyOptions Load(string relativePath) => SampleConfigurationFiles.Load(RepositoryFiles.PathOf(relativePath), _scratch.FullName);
}
