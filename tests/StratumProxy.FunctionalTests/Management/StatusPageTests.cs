using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StratumProxy.Filtering;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Management;

public sealed class StatusPageTests
{
    private const string ListenerName = "stratum-main";
    private const string ClusterName = "pool-east";
    private const string DestinationName = "node-alpha";
    private const string Worker = "bc1qstatuspage.rig7";
    private const string BannedAddress = "203.0.113.7";
    private const string TlsListenerName = "stratum-tls";
    private const string TlsHost = "status.example.test";
    private const string PoolId = "btc-status";

    [Fact]
    public async Task Status_page_is_served_at_the_root_as_one_self_contained_read_only_document()
    {
        await using var backend = new RecordingBackend();
        await using var host = await ProxyTestHost.StartAsync(ProxySection(backend.EndPoint));
        using var http = new HttpClient { BaseAddress = host.ManagementUri, Timeout = TimeSpan.FromSeconds(10) };

        using var response = await http.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("connect-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<meta name=\"viewport\"", html, StringComparison.Ordinal);
        Assert.Contains("api/status", html, StringComparison.Ordinal);
        Assert.Contains("api/workers", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*[""']?(https?:)?//|@import|url\(\s*['""]?https?:", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"method\s*:\s*[""'](POST|PUT|DELETE|PATCH)", RegexOptions.IgnoreCase), html);
    }

    [ChromiumFact]
    public async Task A_browser_shows_the_listener_the_destination_the_worker_the_ban_the_certificate_and_the_pool()
    {
        await using var backend = new RecordingBackend();
        await using var host = await ProxyTestHost.StartAsync(ProxySection(backend.EndPoint), poolSection: PoolSection());
        await using var miner = await TestMiner.ConnectAsync(host.Listener(ListenerName));
        await miner.SendAsync("""{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}""");
        Assert.NotNull(await miner.ReadLineAsync());
        await miner.SendAsync($$"""{"id":2,"method":"mining.authorize","params":["{{Worker}}","x"]}""");
        Assert.NotNull(await miner.ReadLineAsync());
        await WaitForWorkerAsync(host.ManagementUri);
        // A documentation address (RFC 5737), banned directly: nothing is ever sent to it.
        host.Get<BanPolicy>().Ban(IPAddress.Parse(BannedAddress), "invalid_shares", TimeSpan.FromMinutes(10));

        var dom = await DumpDomAsync(host.ManagementUri);

        Assert.Contains("data-loaded=\"true\"", dom, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"<td>{ListenerName}</td>\s*<td>{Regex.Escape(host.Listener(ListenerName).ToString())}</td>\s*<td>{ClusterName}</td>"), dom);
        Assert.Matches(new Regex($@"<td>{ClusterName}</td>\s*<td>{DestinationName}</td>\s*<td>{Regex.Escape(backend.EndPoint.ToString())}</td>"), dom);
        Assert.Matches(new Regex($@"<td>{Regex.Escape(Worker)}</td>\s*<td class=""num"">1</td>\s*<td>{DestinationName}</td>"), dom);
        Assert.Matches(new Regex(@"id=""sessions"">1<"), dom);
        Assert.Matches(new Regex($@"<td>{Regex.Escape(BannedAddress)}</td>\s*<td>invalid_shares</td>"), dom);
        Assert.Contains("<span id=\"error\" role=\"alert\"></span>", dom, StringComparison.Ordinal);

        // The certificate the TLS listener serves, with its expiry as a person reads it (days left, colour-coded).
        var served = host.Get<StratumProxy.Management.ICertificateStatusSource>().GetCertificates().Single(c => c.Host == TlsHost);
        var daysLeft = (int)Math.Floor((served.NotAfter!.Value - DateTimeOffset.UtcNow).TotalDays);
        Assert.Matches(new Regex($@"<td>{Regex.Escape(TlsHost)}</td>\s*<td>{TlsListenerName}</td>\s*<td>self-signed</td>"), dom);
        Assert.Matches(new Regex($@"<td>{served.NotAfter.Value.UtcDateTime:yyyy-MM-dd}</td>\s*<td><span class=""badge ok"">({daysLeft}|{daysLeft - 1})</span></td>"), dom);

        // The pool's own figures next to the proxy's: its id, network, chain height and node connection.
        var pool = await host.PoolInfoAsync();
        Assert.Matches(new Regex($@"<td>{PoolId} \(BTC\)</td>\s*<td>Devnet</td>\s*<td class=""num"">[0-9.]+ [kMGTPE]?H/s</td>"), dom);
        Assert.Matches(new Regex($@"<td class=""num"">{pool.NetworkStats.BlockHeight}</td>\s*<td class=""num"">[0-9.,]+</td>\s*<td><span class=""badge ok"">connected</span></td>"), dom);
        Assert.Matches(new Regex(@"id=""hashrate-label"">Pool hash rate<"), dom);
    }

    private static JsonObject ProxySection(IPEndPoint backend) => new()
    {
        ["Listeners"] = new JsonObject
        {
            [ListenerName] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Cluster"] = ClusterName },
            [TlsListenerName] = new JsonObject
            {
                ["Endpoint"] = "127.0.0.1:0",
                ["Cluster"] = ClusterName,
                ["Tls"] = new JsonObject { ["Certificate"] = "SelfSigned", ["Hosts"] = new JsonArray(TlsHost) },
            },
        },
        ["Clusters"] = new JsonObject
        {
            [ClusterName] = new JsonObject
            {
                ["Destinations"] = new JsonObject { [DestinationName] = new JsonObject { ["Address"] = backend.ToString() } },
            },
        },
    };

    /// <summary>The bundled pool on its in-process devnet, on ephemeral ports.</summary>
    internal static JsonObject PoolSection() => new()
    {
        ["Enabled"] = true,
        ["Id"] = PoolId,
        ["Endpoint"] = "127.0.0.1:0",
        ["Network"] = "Devnet",
        ["Devnet"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0" },
        ["Api"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0" },
        ["Storage"] = new JsonObject { ["ConnectionString"] = "Data Source={dir}/pool.db" },
    };

    private static async Task WaitForWorkerAsync(Uri management)
    {
        using var http = new HttpClient { BaseAddress = management, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var workers = await http.GetStringAsync("/api/workers");
            if (workers.Contains(Worker, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50)); // poll interval of a bounded wait, not synchronisation
        }

        Assert.Fail($"{Worker} never appeared in /api/workers.");
    }

    private static async Task<string> DumpDomAsync(Uri page)
    {
        var profile = Directory.CreateTempSubdirectory("stratum-chromium-");
        try
        {
            var start = new ProcessStartInfo(ChromiumFactAttribute.Executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--no-proxy-server", "--disable-default-apps", "--disable-extensions",
                $"--user-data-dir={profile.FullName}", "--virtual-time-budget=5000", "--dump-dom", page.ToString(),
            })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 90 s: " + await stderr);
            }

            var dom = await stdout;
            Assert.True(dom.Contains("</html>", StringComparison.Ordinal), $"chromium exited {process.ExitCode} without a document: {await stderr}");
            return dom;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}

/// <summary>Runs only where Debian's chromium is installed (<c>scripts/install-chromium.sh</c>).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Executable = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Executable))
        {
            Skip = $"{Executable} is not installed: run scripts/install-chromium.sh";
        }
    }
}
