using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StratumProxy.Configuration;

namespace StratumProxy.Management;

/// <summary>
/// Reads pools' own figures from APIs in Miningcore's shape (<c>GET /api/pools</c>: the bundled pool's API and
/// Miningcore's alike) listed in <c>Proxy:Management:PoolApis</c>. Answers are kept for a few seconds so a status page
/// open in several browsers does not multiply the requests; a pool that does not answer is shown with its error.
/// </summary>
public sealed class PoolApiStatusSource : IPoolStatusSource, IDisposable
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly ProxyConfigState _config;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (DateTimeOffset At, IReadOnlyList<string> Apis, IReadOnlyList<PoolSummary> Pools)? _cached;

    public PoolApiStatusSource(ProxyConfigState config, TimeProvider time)
    {
        _config = config;
        _time = time;
    }

    public async Task<IReadOnlyList<PoolSummary>> GetPoolsAsync(CancellationToken cancellationToken)
    {
        var apis = _config.Current.Management.PoolApis;
        if (apis.Count == 0)
        {
            return [];
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            if (_cached is { } cached && now - cached.At < CacheFor && cached.Apis.SequenceEqual(apis))
            {
                return cached.Pools;
            }

            var answers = await Task.WhenAll(apis.Select(api => ReadAsync(api, cancellationToken)));
            var pools = answers.SelectMany(a => a).ToList();
            _cached = (now, apis.ToList(), pools);
            return pools;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<IReadOnlyList<PoolSummary>> ReadAsync(string api, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(api, cancellationToken);
            response.EnsureSuccessStatusCode();
            var body = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var pools = body?["pools"] as JsonArray ?? throw new InvalidDataException("the answer has no \"pools\" array");
            return [.. pools.OfType<JsonObject>().Select(pool => Describe(pool, api))];
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var host = Uri.TryCreate(api, UriKind.Absolute, out var uri) ? uri.Authority : api;
            return [new PoolSummary(host, "", "", 0, 0, 0, 0, 0, 0, 0, false, 0, null, api, ex.Message)];
        }
    }

    private static PoolSummary Describe(JsonObject pool, string api)
    {
        var stats = pool["poolStats"];
        var network = pool["networkStats"];
        return new PoolSummary(
            Text(pool["id"]) ?? "",
            Text(pool["coin"]?["symbol"]) ?? Text(pool["coin"]?["type"]) ?? "",
            Text(network?["networkType"]) ?? "",
            Number(stats?["poolHashrate"]),
            Number(stats?["sharesPerSecond"]),
            (int)Number(stats?["connectedMiners"]),
            (int)Number(stats?["connectedWorkers"] ?? stats?["connectedMiners"]),
            Number(network?["networkDifficulty"]),
            Number(network?["networkHashrate"]),
            (long)Number(network?["blockHeight"]),
            // Miningcore reports peers, ours whether the node answers; either way zero means no usable node.
            network?["connected"] is { } connected ? connected.GetValueKind() == JsonValueKind.True : Number(network?["connectedPeers"]) > 0 || Number(network?["blockHeight"]) > 0,
            (long)Number(pool["totalBlocks"]),
            pool["lastPoolBlockTime"] is JsonValue last && last.TryGetValue<DateTimeOffset>(out var at) ? at : null,
            api);
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static double Number(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue<double>(out var number) => number,
        JsonValue value when value.TryGetValue<string>(out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => 0,
    };

    public void Dispose()
    {
        _http.Dispose();
        _refresh.Dispose();
    }
}
