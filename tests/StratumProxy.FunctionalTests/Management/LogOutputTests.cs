using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Management;

/// <summary>
/// The proxy process with JSON console logs at the most verbose level, configured with every kind of secret, driven
/// through the code paths that use them (a failing ACME order with EAB, an unreachable RPC daemon with a password,
/// management calls with a wrong and the right token): every line is JSON, and no secret appears anywhere.
/// </summary>
public sealed class LogOutputTests
{
    private const string ManagementToken = "mgmt-SECRET-token-1";
    private const string DaemonPassword = "rpc-SECRET-pass-2";
    private const string EabHmac = "eab-SECRET-hmac-3";
    private const string WrongToken = "wrong-SECRET-token-4";

    [Fact]
    public async Task Json_lines_on_request_and_no_secret_is_ever_logged()
    {
        var directory = Directory.CreateTempSubdirectory("stratum-proxy-logs-").FullName;
        var deadPort = LoopbackEndpoints.ClosedPort();
        var eabKey = Convert.ToBase64String(Encoding.ASCII.GetBytes(EabHmac)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var config = new JsonObject
        {
            ["Logging"] = new JsonObject
            {
                ["LogLevel"] = new JsonObject { ["Default"] = "Trace" },
                ["Console"] = new JsonObject { ["FormatterName"] = "json" },
            },
            ["Proxy"] = new JsonObject
            {
                ["DataPath"] = Path.Combine(directory, "data"),
                ["Management"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Token"] = ManagementToken },
                ["Acme"] = new JsonObject
                {
                    ["DirectoryUrl"] = $"https://127.0.0.1:{deadPort}/dir",
                    ["AcceptTermsOfService"] = true,
                    ["StoragePath"] = Path.Combine(directory, "acme"),
                    ["EabKeyId"] = "kid-1",
                    ["EabHmacKey"] = eabKey,
                },
                ["Listeners"] = new JsonObject
                {
                    ["plain"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0", ["Cluster"] = "pool" },
                    ["tls"] = new JsonObject
                    {
                        ["Endpoint"] = "127.0.0.1:0",
                        ["Cluster"] = "pool",
                        ["Tls"] = new JsonObject { ["Certificate"] = "Acme", ["Hosts"] = new JsonArray("log.example.test") },
                    },
                },
                ["Clusters"] = new JsonObject
                {
                    ["pool"] = new JsonObject { ["Destinations"] = new JsonObject { ["n"] = new JsonObject { ["Address"] = $"127.0.0.1:{deadPort}" } } },
                },
            },
            ["Pool"] = new JsonObject
            {
                ["Enabled"] = true,
                ["Endpoint"] = "127.0.0.1:0",
                ["Network"] = "Regtest",
                ["Api"] = new JsonObject { ["Endpoint"] = "127.0.0.1:0" },
                ["Address"] = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
                ["Daemons"] = new JsonArray(new JsonObject { ["Url"] = $"http://127.0.0.1:{deadPort}", ["User"] = "rpcuser", ["Password"] = DaemonPassword }),
                ["Storage"] = new JsonObject { ["ConnectionString"] = $"Data Source={Path.Combine(directory, "pool.db")}" },
            },
        };
        var path = Path.Combine(directory, "proxy.json");
        await File.WriteAllTextAsync(path, config.ToJsonString());

        await using var process = ProxyProcess.Start(path, directory);
        try
        {
            // The management endpoint's real port, from the proxy's own start-up line.
            var management = await WaitForEventAsync(process, 1011);
            var endPoint = (string)management["State"]!["EndPoint"]!;
            using var http = new HttpClient { BaseAddress = new Uri($"http://{endPoint}/"), Timeout = TimeSpan.FromSeconds(10) };
            using (var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/clusters/pool/destinations/n/drain"))
            {
                wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WrongToken);
                Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(wrong)).StatusCode);
            }

            using (var right = new HttpRequestMessage(HttpMethod.Post, "/api/clusters/pool/destinations/n/drain"))
            {
                right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ManagementToken);
                Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right)).StatusCode);
            }

            await WaitForEventAsync(process, 3005); // the pool's failing getblocktemplate, with the daemon's password in use
            await WaitForEventAsync(process, 3104); // the ACME client's failing request, with the EAB key loaded
        }
        finally
        {
            await process.StopAsync(TimeSpan.FromSeconds(60));
        }

        var all = process.Lines.ToArray();
        Assert.True(all.Length > 20, $"only {all.Length} lines logged");
        foreach (var line in all)
        {
            var entry = JsonNode.Parse(line) as JsonObject;
            Assert.True(entry is not null && entry.ContainsKey("LogLevel") && entry.ContainsKey("Category") && entry.ContainsKey("Message"), $"not a JSON log entry: {line}");
        }

        Assert.Contains(all, l => l.Contains("\"LogLevel\":\"Trace\"", StringComparison.Ordinal) || l.Contains("\"LogLevel\":\"Debug\"", StringComparison.Ordinal));
        var everything = string.Join('\n', all) + process.StandardError;
        foreach (var secret in new[] { ManagementToken, DaemonPassword, EabHmac, eabKey, WrongToken, "SECRET" })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }

        Directory.Delete(directory, recursive: true);
    }

    private static async Task<JsonNode> WaitForEventAsync(ProxyProcess process, int eventId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            foreach (var line in process.Lines)
            {
                if (line.Contains($"\"EventId\":{eventId},", StringComparison.Ordinal) && JsonNode.Parse(line) is { } entry)
                {
                    return entry;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)); // poll interval of a bounded wait
        }

        throw new TimeoutException($"event {eventId} was not logged (exited: {process.HasExited}); {process.Lines.Count} lines so far");
    }
}
