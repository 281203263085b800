using System.Text.Json;
using Microsoft.Extensions.Configuration;
using StratumProxy.Configuration;
using YamlDotNet.RepresentationModel;

namespace StratumProxy.Tests.Samples;

/// <summary>
/// Docker cannot run on the build machines, so these check statically what a <c>docker compose up</c> depends on:
/// the files parse, everything copied or mounted exists, and ports, volumes and the health check agree with the
/// configuration the image runs with.
/// </summary>
public sealed class DockerArtifactsTests
{
    private static readonly string DockerDirectory = RepositoryFiles.PathOf("docker");

    private static readonly Lazy<IReadOnlyList<DockerfileInstruction>> Dockerfile =
        new(() => DockerfileInstructions.Parse(File.ReadAllText(Path.Combine(DockerDirectory, "Dockerfile"))));

    private static readonly Lazy<YamlMappingNode> Compose = new(() => LoadYaml(Path.Combine(DockerDirectory, "docker-compose.yml")));

    private static YamlMappingNode Services => (YamlMappingNode)Compose.Value["services"];

    private static YamlMappingNode ProxyService => (YamlMappingNode)Services["stratum-proxy"];

    private static IReadOnlyList<DockerfileInstruction> RuntimeStage => Dockerfile.Value.Where(i => i.Stage == Dockerfile.Value[^1].Stage).ToList();

    [Fact]
    public void Compose_file_declares_the_whole_stack()
    {
        var names = Services.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();

        Assert.Equal(["bitcoind", "grafana", "prometheus", "stratum-proxy"], names.Order());
        var build = (YamlMappingNode)ProxyService["build"];
        Assert.Equal("docker/Dockerfile", Scalar(build["dockerfile"]));
        Assert.True(File.Exists(Path.Combine(ComposeContext(), "docker", "Dockerfile")));
    }

    [Fact]
    public void Dockerfile_builds_with_the_sdk_and_runs_on_the_aspnet_image_as_a_non_root_user()
    {
        var froms = Dockerfile.Value.Where(i => i.Keyword == "FROM").Select(i => i.Arguments).ToList();

        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0 ", froms[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0 ", froms[^1], StringComparison.Ordinal);
        var user = Assert.Single(RuntimeStage, i => i.Keyword == "USER").Arguments;
        Assert.DoesNotContain(user.Split(':'), part => part is "root" or "0");
        Assert.Contains(RuntimeStage, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=build ", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_file_the_Dockerfile_copies_from_the_context_exists()
    {
        var context = ComposeContext();
        var copies = Dockerfile.Value.Where(i => i.Keyword is "COPY" or "ADD" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            var parts = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
            Assert.True(parts.Count >= 2, $"COPY {copy.Arguments}: needs a source and a destination.");
            foreach (var source in parts[..^1])
            {
                var path = Path.Combine(context, source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"Dockerfile copies '{source}', which does not exist in the build context.");
            }
        }
    }

    [Fact]
    public void Every_project_the_proxy_builds_from_is_copied_before_the_restore()
    {
        // The restore runs on the project files alone (a cached layer); a project it cannot see fails the publish.
        var build = Dockerfile.Value.Where(i => i.Stage == Dockerfile.Value[0].Stage).ToList();
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, "the build stage has no dotnet restore");
        var copied = build.Take(restore)
            .Where(i => i.Keyword == "COPY")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.EndsWith(".csproj", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        var pending = new Queue<string>(["src/StratumProxy/StratumProxy.csproj"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var project))
        {
            if (!seen.Add(project))
            {
                continue;
            }

            Assert.True(copied.Contains(project), $"Dockerfile does not copy {project} before `dotnet restore`.");
            var directory = Path.GetDirectoryName(project)!;
            var text = File.ReadAllText(RepositoryFiles.PathOf(project));
            foreach (System.Text.RegularExpressions.Match reference in System.Text.RegularExpressions.Regex.Matches(text, "<ProjectReference Include=\"([^\"]+)\""))
            {
                var path = Path.GetRelativePath(RepositoryFiles.Root, Path.GetFullPath(RepositoryFiles.PathOf(directory, reference.Groups[1].Value)));
                pending.Enqueue(path.Replace('\\', '/'));
            }
        }

        Assert.True(seen.Count >= 4, $"only {seen.Count} projects found from the proxy's");
    }

    [Fact]
    public void Every_path_the_compose_file_mounts_exists_and_every_named_volume_is_declared()
    {
        var declared = ((YamlMappingNode)Compose.Value["volumes"]).Children.Keys.Select(Scalar).ToHashSet();
        var mounts = 0;
        foreach (var (name, service) in Services.Children)
        {
            if (service is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode("volumes"), out var volumes))
            {
                continue;
            }

            foreach (var volume in ((YamlSequenceNode)volumes).Children.Select(Scalar))
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.') || source.StartsWith('/'))
                {
                    var path = Path.GetFullPath(Path.Combine(DockerDirectory, source));
                    Assert.True(File.Exists(path) || Directory.Exists(path), $"{Scalar(name)} mounts '{source}', which does not exist.");
                    mounts++;
                }
                else
                {
                    Assert.Contains(source, declared);
                }
            }
        }

        Assert.True(mounts >= 5, $"expected the config, Prometheus files, Grafana provisioning and dashboard to be mounted; found {mounts}.");
    }

    [Fact]
    public void Published_ports_match_the_endpoints_of_the_docker_configuration()
    {
        var configured = ConfiguredPorts();
        var published = ((YamlSequenceNode)ProxyService["ports"]).Children.Select(Scalar)
            .Select(p => int.Parse(p.Split(':')[^1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();
        var exposed = RuntimeStage.Where(i => i.Keyword == "EXPOSE")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();

        Assert.Equal([3333, 3334, 8080, 9100], configured.Order());
        Assert.Equal(configured.Order(), published.Order());
        Assert.Equal(configured.Order(), exposed.Order());
    }

    [Fact]
    public void Data_volume_is_declared_and_everything_written_goes_there()
    {
        var volume = Assert.Single(RuntimeStage, i => i.Keyword == "VOLUME").Arguments;
        Assert.Contains("\"/data\"", volume, StringComparison.Ordinal);
        Assert.Contains(((YamlSequenceNode)ProxyService["volumes"]).Children.Select(Scalar), v => v.EndsWith(":/data", StringComparison.Ordinal));
        Assert.Equal("true", Scalar(ProxyService["read_only"]));

        var environment = DockerfileEnvironment();
        Assert.Equal("/data", environment["Proxy__DataPath"]);
        Assert.Equal("/data/acme", environment["Proxy__Acme__StoragePath"]);
        Assert.Equal("Data Source=/data/pool.db", environment["Pool__Storage__ConnectionString"]);
    }

    [Fact]
    public void Health_check_asks_the_management_endpoint_for_healthz()
    {
        var options = LoadDockerConfiguration();
        var managementPort = Port(options.Management.Endpoint);
        var check = Assert.Single(RuntimeStage, i => i.Keyword == "HEALTHCHECK").Arguments;

        Assert.Contains("GET /healthz ", check, StringComparison.Ordinal);
        Assert.Contains($"/dev/tcp/127.0.0.1/{managementPort}", check, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_configuration_passes_the_real_validation_with_the_image_environment()
    {
        var options = LoadDockerConfiguration();

        Assert.Equal("/data", options.DataPath);
        Assert.Contains(options.Listeners.Values, l => l.Tls is not null);
    }

    [Fact]
    public void Entrypoint_reads_the_configuration_the_image_ships_and_the_compose_file_mounts()
    {
        var entrypoint = Assert.Single(RuntimeStage, i => i.Keyword == "ENTRYPOINT").Arguments;
        var configPath = JsonSerializer.Deserialize<string[]>(entrypoint)!.SkipWhile(a => a != "--config").Skip(1).Single();

        Assert.Contains(RuntimeStage, i => i.Keyword == "COPY" && i.Arguments == $"docker/appsettings.docker.json {configPath}");
        Assert.Contains(((YamlSequenceNode)ProxyService["volumes"]).Children.Select(Scalar), v => v == $"./appsettings.docker.json:{configPath}:ro");
    }

    [Fact]
    public void Pool_in_the_image_talks_to_the_compose_bitcoind_with_its_credentials()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(DockerDirectory, "appsettings.docker.json")).Build();
        var daemonUrl = new Uri(configuration["Pool:Daemons:0:Url"]!);
        var bitcoind = ((YamlSequenceNode)((YamlMappingNode)Services["bitcoind"])["command"]).Children.Select(Scalar).ToList();

        Assert.Equal("Regtest", configuration["Pool:Network"]);
        Assert.True(Services.Children.ContainsKey(new YamlScalarNode(daemonUrl.Host)), $"no compose service named '{daemonUrl.Host}'.");
        Assert.Contains("-regtest=1", bitcoind);
        Assert.Contains($"-rpcport={daemonUrl.Port}", bitcoind);
        Assert.Contains($"-rpcuser={configuration["Pool:Daemons:0:User"]}", bitcoind);
    }

    [Fact]
    public void Prometheus_scrapes_the_proxy_and_pool_ports_and_loads_the_alert_rules()
    {
        var prometheus = LoadYaml(RepositoryFiles.PathOf("samples", "prometheus", "prometheus.yml"));
        var alerts = LoadYaml(RepositoryFiles.PathOf("samples", "prometheus", "alerts.yml"));
        var options = LoadDockerConfiguration();
        var poolApi = new ConfigurationBuilder().AddJsonFile(Path.Combine(DockerDirectory, "appsettings.docker.json")).Build()["Pool:Api:Endpoint"];

        var targets = ((YamlSequenceNode)prometheus["scrape_configs"]).Children.Cast<YamlMappingNode>()
            .SelectMany(job => ((YamlSequenceNode)job["static_configs"]).Children.Cast<YamlMappingNode>())
            .SelectMany(config => ((YamlSequenceNode)config["targets"]).Children.Select(Scalar))
            .ToList();
        Assert.Contains($"stratum-proxy:{Port(options.Management.Endpoint)}", targets);
        Assert.Contains($"stratum-proxy:{Port(poolApi)}", targets);

        var ruleFile = Assert.Single(((YamlSequenceNode)prometheus["rule_files"]).Children.Select(Scalar));
        var prometheusMounts = ((YamlSequenceNode)((YamlMappingNode)Services["prometheus"])["volumes"]).Children.Select(Scalar);
        Assert.Contains($"../samples/prometheus/alerts.yml:{ruleFile}:ro", prometheusMounts);

        var expressions = ((YamlSequenceNode)alerts["groups"]).Children.Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Children.Cast<YamlMappingNode>())
            .Select(r => Scalar(r["expr"]))
            .ToList();
        Assert.Contains(expressions, e => e.Contains("stratum_proxy_destination_healthy == 0", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("stratum_proxy_certificate_expiry_seconds", StringComparison.Ordinal) && e.Contains("14 * 86400", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("stratum_proxy_shares_total{result=\"rejected\"}", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("stratum_pool_job_age_seconds > 120", StringComparison.Ordinal));
    }

    [Fact]
    public void Grafana_is_provisioned_with_prometheus_and_the_dashboard()
    {
        var datasources = LoadYaml(Path.Combine(DockerDirectory, "grafana", "provisioning", "datasources", "prometheus.yml"));
        var dashboards = LoadYaml(Path.Combine(DockerDirectory, "grafana", "provisioning", "dashboards", "stratum-proxy.yml"));
        var grafanaMounts = ((YamlSequenceNode)((YamlMappingNode)Services["grafana"])["volumes"]).Children.Select(Scalar).ToList();

        var datasource = (YamlMappingNode)((YamlSequenceNode)datasources["datasources"]).Children.Single();
        Assert.Equal("prometheus", Scalar(datasource["type"]));
        Assert.Equal(new Uri(Scalar(datasource["url"])).Host, Services.Children.Keys.Select(Scalar).Single(k => k == "prometheus"));

        var provider = (YamlMappingNode)((YamlSequenceNode)dashboards["providers"]).Children.Single();
        var dashboardDirectory = Scalar(((YamlMappingNode)provider["options"])["path"]);
        var dashboardMount = Assert.Single(grafanaMounts, m => m.Contains($":{dashboardDirectory}/", StringComparison.Ordinal));
        var dashboardFile = Path.GetFullPath(Path.Combine(DockerDirectory, dashboardMount.Split(':')[0]));

        using var dashboard = JsonDocument.Parse(File.ReadAllText(dashboardFile));
        Assert.False(string.IsNullOrEmpty(dashboard.RootElement.GetProperty("uid").GetString()));
        Assert.NotEmpty(dashboard.RootElement.GetProperty("panels").EnumerateArray());
    }

    private static ProxyOptions LoadDockerConfiguration()
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(DockerDirectory, "appsettings.docker.json"))
            .AddInMemoryCollection(DockerfileEnvironment().Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)))
            .Build();
        return ProxyOptionsLoader.Load(configuration);
    }

    private static Dictionary<string, string> DockerfileEnvironment() =>
        RuntimeStage.Where(i => i.Keyword == "ENV").SelectMany(DockerfileInstructions.EnvironmentOf).ToDictionary();

    private static HashSet<int> ConfiguredPorts()
    {
        var options = LoadDockerConfiguration();
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(DockerDirectory, "appsettings.docker.json")).Build();
        var ports = options.Listeners.Values.Select(l => Port(l.Endpoint)).ToHashSet();
        ports.Add(Port(options.Management.Endpoint));
        ports.Add(Port(configuration["Pool:Api:Endpoint"]));
        return ports;
    }

    private static int Port(string? endpoint)
    {
        Assert.True(EndpointParser.TryParse(endpoint, out var parsed), $"'{endpoint}' is not an endpoint.");
        return EndpointParser.PortOf(parsed);
    }

    private static string ComposeContext() =>
        Path.GetFullPath(Path.Combine(DockerDirectory, Scalar(((YamlMappingNode)ProxyService["build"])["context"])));

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static YamlMappingNode LoadYaml(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }
}
