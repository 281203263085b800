using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using StratumPool.Chain;
using StratumPool.Jobs;

namespace StratumPool.Daemon;

/// <summary>
/// JSON-RPC client for bitcoind-compatible daemons (bitcoind, bcoin, the devnet) with failover across several daemons
/// and retries of transient failures. Errors are read from the JSON body whatever the HTTP status: bitcoind answers
/// 500/404 with an error object, bcoin answers 200.
/// </summary>
public sealed partial class DaemonClient
{
    private readonly HttpClient _http;
    private readonly IDaemonEndpointSource _endpoints;
    private readonly DaemonMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private int _preferred;
    private long _nextId;

    public DaemonClient(HttpClient http, IDaemonEndpointSource endpoints, DaemonMetrics? metrics = null, ILogger<DaemonClient>? logger = null, TimeSpan? attemptTimeout = null)
    {
        _http = http;
        _endpoints = endpoints;
        _metrics = metrics;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>().Handle<TransientDaemonException>(),
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
            })
            .AddTimeout(attemptTimeout ?? TimeSpan.FromSeconds(15))
            .Build();
    }

    /// <summary><c>getblocktemplate {"rules":["segwit"]}</c>.</summary>
    public Task<BlockTemplate> GetBlockTemplateAsync(CancellationToken cancellationToken) =>
        CallRequiredAsync("getblocktemplate", [new RawJson("""{"rules":["segwit"]}""")], DaemonJsonContext.Default.BlockTemplate, cancellationToken);

    /// <summary>
    /// <c>submitblock</c>: null when the daemon accepted the block, otherwise its reason (BIP22 strings such as
    /// <c>high-hash</c>, <c>bad-txnmrklroot</c>, <c>inconclusive</c>; bcoin's <c>rejected: </c> prefix is removed).
    /// </summary>
    public async Task<string?> SubmitBlockAsync(string blockHex, CancellationToken cancellationToken)
    {
        try
        {
            var reason = await CallAsync("submitblock", [blockHex], DaemonJsonContext.Default.String, cancellationToken);
            return NormaliseRejectReason(reason);
        }
        catch (DaemonRpcException ex)
        {
            // Some daemons report a rejected block as an RPC error rather than a result string.
            return NormaliseRejectReason(ex.RpcMessage) ?? "rejected";
        }
    }

    public Task<BlockchainInfo> GetBlockchainInfoAsync(CancellationToken cancellationToken) =>
        CallRequiredAsync("getblockchaininfo", [], DaemonJsonContext.Default.BlockchainInfo, cancellationToken);

    public Task<string> GetBestBlockHashAsync(CancellationToken cancellationToken) =>
        CallRequiredAsync("getbestblockhash", [], DaemonJsonContext.Default.String, cancellationToken);

    public Task<string> GetBlockHashAsync(long height, CancellationToken cancellationToken) =>
        CallRequiredAsync("getblockhash", [height], DaemonJsonContext.Default.String, cancellationToken);

    /// <summary><c>getblock HASH</c>; null when the daemon does not know the block.</summary>
    public async Task<BlockInfo?> GetBlockAsync(string hash, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync("getblock", [hash], DaemonJsonContext.Default.BlockInfo, cancellationToken);
        }
        catch (DaemonRpcException ex) when (ex.Code is -5 or -8 || ex.RpcMessage.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            // bitcoind: -5 "Block not found"; bcoin: -1 "Block not found".
            return null;
        }
    }

    public Task<NetworkInfo> GetNetworkInfoAsync(CancellationToken cancellationToken) =>
        CallRequiredAsync("getnetworkinfo", [], DaemonJsonContext.Default.NetworkInfo, cancellationToken);

    public Task<AddressValidation> ValidateAddressAsync(string address, CancellationToken cancellationToken) =>
        CallRequiredAsync("validateaddress", [address], DaemonJsonContext.Default.AddressValidation, cancellationToken);

    /// <summary>Any method; the result as a detached <see cref="JsonElement"/>. Parameters: strings, numbers, bools, null, <see cref="RawJson"/>.</summary>
    public async Task<JsonElement> CallAsync(string method, object?[] parameters, CancellationToken cancellationToken)
    {
        var result = await SendAsync(method, parameters, static element => element.Clone(), cancellationToken);
        return result;
    }

    /// <summary>Any method, with the result deserialized by <paramref name="typeInfo"/> (null when the result is null).</summary>
    public Task<T?> CallAsync<T>(string method, object?[] parameters, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        SendAsync(method, parameters, element => element.ValueKind == JsonValueKind.Null ? default : element.Deserialize(typeInfo), cancellationToken);

    private async Task<T> CallRequiredAsync<T>(string method, object?[] parameters, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken) =>
        await CallAsync(method, parameters, typeInfo, cancellationToken)
        ?? throw new DaemonRpcException(method, 0, "empty result");

    internal static string? NormaliseRejectReason(string? reason)
    {
        if (reason is null)
        {
            return null;
        }

        const string prefix = "rejected: ";
        return reason.StartsWith(prefix, StringComparison.Ordinal) ? reason[prefix.Length..] : reason;
    }

    private async Task<T> SendAsync<T>(string method, object?[] parameters, Func<JsonElement, T> readResult, CancellationToken cancellationToken)
    {
        var endpoints = await _endpoints.GetEndpointsAsync(cancellationToken);
        if (endpoints.Count == 0)
        {
            throw new DaemonUnavailableException("No daemon is configured.");
        }

        var body = Serialize(method, parameters, Interlocked.Increment(ref _nextId));
        var start = Volatile.Read(ref _preferred);
        Exception? last = null;
        for (var attempt = 0; attempt < endpoints.Count; attempt++)
        {
            var index = (start + attempt) % endpoints.Count;
            var endpoint = endpoints[index];
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await _pipeline.ExecuteAsync(
                    static async (state, ct) => await state.Self.SendOnceAsync(state.Endpoint, state.Method, state.Body, state.ReadResult, ct),
                    (Self: this, Endpoint: endpoint, Method: method, Body: body, ReadResult: readResult),
                    cancellationToken);
                _metrics?.RpcDuration.WithLabels([method]).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                if (index != start)
                {
                    Volatile.Write(ref _preferred, index);
                    LogFailedOver(_logger, endpoint.Url, method);
                }

                return result;
            }
            catch (DaemonRpcException ex)
            {
                _metrics?.RpcErrors.WithLabels([method]).Inc();
                LogRpcError(_logger, method, ex.Code, ex.RpcMessage);
                throw;
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or TransientDaemonException or DaemonUnavailableException
                                       && !cancellationToken.IsCancellationRequested)
            {
                _metrics?.RpcErrors.WithLabels([method]).Inc();
                LogDaemonUnreachable(_logger, endpoint.Url, method, ex.Message);
                last = ex;
            }
        }

        throw new DaemonUnavailableException($"{method}: no daemon answered ({last?.Message}).", last);
    }

    private async Task<T> SendOnceAsync<T>(DaemonEndpointOptions endpoint, string method, byte[] body, Func<JsonElement, T> readResult, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (endpoint.User is not null || endpoint.Password is not null)
        {
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{endpoint.User}:{endpoint.Password}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new DaemonUnavailableException($"authentication refused by {endpoint.Url} (HTTP {(int)response.StatusCode})");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            throw (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.ServiceUnavailable
                ? new TransientDaemonException($"HTTP {(int)response.StatusCode} without a JSON body")
                : new DaemonUnavailableException($"HTTP {(int)response.StatusCode} without a JSON body from {endpoint.Url}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DaemonUnavailableException($"unexpected JSON-RPC answer from {endpoint.Url}");
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                var code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) && c.TryGetInt32(out var parsed) ? parsed : 0;
                var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.ToString() : error.ToString();
                // -28: the daemon is warming up (loading blocks); worth a retry.
                if (code == -28)
                {
                    throw new TransientDaemonException($"daemon warming up: {message}");
                }

                throw new DaemonRpcException(method, code, message);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new TransientDaemonException($"HTTP {(int)response.StatusCode}");
            }

            return readResult(root.TryGetProperty("result", out var result) ? result : default);
        }
    }

    private static byte[] Serialize(string method, object?[] parameters, long id)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "1.0");
            writer.WriteNumber("id", id);
            writer.WriteString("method", method);
            writer.WriteStartArray("params");
            foreach (var parameter in parameters)
            {
                switch (parameter)
                {
                    case null:
                        writer.WriteNullValue();
                        break;
                    case string s:
                        writer.WriteStringValue(s);
                        break;
                    case bool b:
                        writer.WriteBooleanValue(b);
                        break;
                    case int i:
                        writer.WriteNumberValue(i);
                        break;
                    case long l:
                        writer.WriteNumberValue(l);
                        break;
                    case double d:
                        writer.WriteNumberValue(d);
                        break;
                    case RawJson raw:
                        writer.WriteRawValue(raw.Json);
                        break;
                    default:
                        throw new ArgumentException($"Unsupported RPC parameter type {parameter.GetType().Name}.", nameof(parameters));
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private sealed class TransientDaemonException(string message) : Exception(message);
}

/// <summary>A JSON-RPC parameter given as literal JSON text.</summary>
public readonly record struct RawJson(string Json);
