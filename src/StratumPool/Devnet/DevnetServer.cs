using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using StratumPool.Chain;
using StratumPool.Daemon;

namespace StratumPool.Devnet;

/// <summary>
/// The devnet as a bitcoind-compatible JSON-RPC service on a loopback port (Kestrel), so the pool reaches it through
/// its ordinary daemon client. Methods: getblocktemplate, submitblock, getblockchaininfo, getbestblockhash,
/// getblockhash, getblock, validateaddress, getnetworkinfo. Credentials are random per instance.
/// Starts on first use (<see cref="GetEndpointsAsync"/>) or with the host.
/// </summary>
public sealed partial class DevnetServer : IDaemonEndpointSource, IHostedService, IAsyncDisposable
{
    private const string User = "devnet";

    private readonly DevnetOptions _options;
    private readonly ILogger _logger;
    private readonly string _password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly string _expectedAuthorization;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ChainNetworkParameters _addresses = ChainNetworkParameters.For(ChainNetwork.Devnet);
    private WebApplication? _app;
    private IReadOnlyList<DaemonEndpointOptions>? _endpoints;

    public DevnetServer(DevnetOptions options, TimeProvider time, ILogger<DevnetServer> logger)
    {
        _options = options;
        _logger = logger;
        Chain = new DevnetChain(options.Difficulty, time);
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{_password}"));
    }

    public DevnetChain Chain { get; }

    /// <summary>The RPC URL once started.</summary>
    public Uri? Url { get; private set; }

    public async ValueTask<IReadOnlyList<DaemonEndpointOptions>> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        if (_endpoints is null)
        {
            await StartAsync(cancellationToken);
        }

        return _endpoints!;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (_app is not null)
            {
                return;
            }

            var endpoint = IPEndPoint.Parse(_options.Endpoint);
            if (!IPAddress.IsLoopback(endpoint.Address))
            {
                throw new InvalidOperationException($"The devnet listens on loopback only; {_options.Endpoint} is not a loopback endpoint.");
            }

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            // The host's own configuration (Kestrel endpoints, URLs) must not leak into this private listener.
            builder.Configuration.Sources.Clear();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(endpoint));
            var app = builder.Build();
            app.MapPost("/", HandleAsync);
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Url = new Uri(address.EndsWith('/') ? address : address + "/");
            _endpoints = [new DaemonEndpointOptions { Url = Url.ToString(), User = User, Password = _password }];
            _app = app;
            LogStarted(_logger, Url.ToString(), Chain.Difficulty, Chain.Bits.ToString("x8", CultureInfo.InvariantCulture));
        }
        finally
        {
            _startLock.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.DisposeAsync();
            _app = null;
        }

        _startLock.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!string.Equals(context.Request.Headers.Authorization.ToString(), _expectedAuthorization, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        JsonDocument request;
        try
        {
            request = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            await WriteErrorAsync(context, default, -32700, "Parse error", StatusCodes.Status500InternalServerError);
            return;
        }

        using (request)
        {
            var root = request.RootElement;
            var id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var idElement) ? idElement : default;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
            {
                await WriteErrorAsync(context, id, -32600, "Invalid Request", StatusCodes.Status400BadRequest);
                return;
            }

            var parameters = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Array ? p : default;
            var method = methodElement.GetString()!;
            try
            {
                var handled = await WriteResultAsync(context, id, method, parameters);
                if (!handled)
                {
                    await WriteErrorAsync(context, id, -32601, "Method not found", StatusCodes.Status404NotFound);
                }
            }
            catch (RpcError error)
            {
                await WriteErrorAsync(context, id, error.Code, error.Message, StatusCodes.Status500InternalServerError);
            }
        }
    }

    private async Task<bool> WriteResultAsync(HttpContext context, JsonElement id, string method, JsonElement parameters)
    {
        Action<Utf8JsonWriter>? result = method switch
        {
            "getblocktemplate" => WriteTemplate,
            "submitblock" => Submit(StringParam(parameters, 0)),
            "getblockchaininfo" => WriteBlockchainInfo,
            "getbestblockhash" => w => w.WriteStringValue(Chain.Tip.Hash),
            "getblockhash" => BlockHash(LongParam(parameters, 0)),
            "getblock" => BlockInfo(StringParam(parameters, 0), parameters.ValueKind == JsonValueKind.Array && parameters.GetArrayLength() > 1 ? parameters[1] : default),
            "validateaddress" => ValidateAddress(StringParam(parameters, 0)),
            "getnetworkinfo" => WriteNetworkInfo,
            _ => null,
        };
        if (result is null)
        {
            return false;
        }

        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WritePropertyName("result");
        result(writer);
        writer.WriteNull("error");
        WriteId(writer, id);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
        return true;
    }

    private void WriteTemplate(Utf8JsonWriter w)
    {
        var t = Chain.CreateTemplate();
        w.WriteStartObject();
        w.WriteStartArray("capabilities");
        w.WriteStringValue("proposal");
        w.WriteEndArray();
        w.WriteNumber("version", t.Version);
        w.WriteStartArray("rules");
        foreach (var rule in t.Rules)
        {
            w.WriteStringValue(rule);
        }

        w.WriteEndArray();
        w.WriteStartObject("vbavailable");
        w.WriteEndObject();
        w.WriteNumber("vbrequired", 0);
        w.WriteString("previousblockhash", t.PreviousBlockHash);
        w.WriteStartArray("transactions");
        w.WriteEndArray();
        w.WriteStartObject("coinbaseaux");
        w.WriteEndObject();
        w.WriteNumber("coinbasevalue", t.CoinbaseValue);
        w.WriteString("longpollid", t.LongPollId);
        w.WriteString("target", t.Target);
        w.WriteNumber("mintime", t.MinTime);
        w.WriteStartArray("mutable");
        w.WriteStringValue("time");
        w.WriteStringValue("transactions");
        w.WriteStringValue("prevblock");
        w.WriteEndArray();
        w.WriteString("noncerange", "00000000ffffffff");
        w.WriteNumber("sigoplimit", 80000);
        w.WriteNumber("sizelimit", 4000000);
        w.WriteNumber("weightlimit", 4000000);
        w.WriteNumber("curtime", t.CurTime);
        w.WriteString("bits", t.Bits);
        w.WriteNumber("height", t.Height);
        w.WriteString("default_witness_commitment", t.DefaultWitnessCommitment);
        w.WriteEndObject();
    }

    private Action<Utf8JsonWriter> Submit(string hex)
    {
        byte[] raw;
        try
        {
            raw = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new RpcError(-22, "Block decode failed");
        }

        string? reason;
        try
        {
            reason = Chain.SubmitBlock(raw);
        }
        catch (FormatException)
        {
            throw new RpcError(-22, "Block decode failed");
        }

        if (reason is null)
        {
            LogBlockAccepted(_logger, Chain.Tip.Height, Chain.Tip.Hash);
            return w => w.WriteNullValue();
        }

        LogBlockRejected(_logger, reason);
        return w => w.WriteStringValue(reason);
    }

    private void WriteBlockchainInfo(Utf8JsonWriter w)
    {
        var tip = Chain.Tip;
        w.WriteStartObject();
        w.WriteString("chain", "devnet");
        w.WriteNumber("blocks", tip.Height);
        w.WriteNumber("headers", tip.Height);
        w.WriteString("bestblockhash", tip.Hash);
        w.WriteNumber("difficulty", Chain.Difficulty);
        w.WriteNumber("time", tip.Time);
        w.WriteBoolean("initialblockdownload", false);
        w.WriteString("warnings", "");
        w.WriteEndObject();
    }

    private Action<Utf8JsonWriter> BlockHash(long height)
    {
        var block = Chain.GetBlock(height) ?? throw new RpcError(-8, "Block height out of range");
        return w => w.WriteStringValue(block.Hash);
    }

    private Action<Utf8JsonWriter> BlockInfo(string hash, JsonElement verbosity)
    {
        var block = Chain.GetBlock(hash) ?? throw new RpcError(-5, "Block not found");
        var level = verbosity.ValueKind switch
        {
            JsonValueKind.Number => verbosity.GetInt32(),
            JsonValueKind.False => 0,
            _ => 1,
        };
        if (level == 0)
        {
            return w => w.WriteStringValue(Convert.ToHexStringLower(block.Raw));
        }

        var tip = Chain.Tip;
        var next = Chain.GetBlock(block.Height + 1);
        return w =>
        {
            w.WriteStartObject();
            w.WriteString("hash", block.Hash);
            w.WriteNumber("confirmations", tip.Height - block.Height + 1);
            w.WriteNumber("height", block.Height);
            w.WriteNumber("version", block.Version);
            w.WriteString("versionHex", block.Version.ToString("x8", CultureInfo.InvariantCulture));
            w.WriteString("merkleroot", block.MerkleRoot);
            w.WriteNumber("time", block.Time);
            w.WriteNumber("nonce", block.Nonce);
            w.WriteString("bits", block.Bits.ToString("x8", CultureInfo.InvariantCulture));
            w.WriteNumber("difficulty", Chain.Difficulty);
            w.WriteNumber("nTx", block.TransactionIds.Length);
            if (block.Height > 0)
            {
                w.WriteString("previousblockhash", block.PreviousBlockHash);
            }

            if (next is not null)
            {
                w.WriteString("nextblockhash", next.Hash);
            }

            w.WriteStartArray("tx");
            foreach (var txid in block.TransactionIds)
            {
                w.WriteStringValue(txid);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        };
    }

    private Action<Utf8JsonWriter> ValidateAddress(string address)
    {
        var valid = _addresses.TryParsePayout(address, out var payout);
        return w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("isvalid", valid);
            if (valid)
            {
                w.WriteString("address", payout!.Address);
                w.WriteString("scriptPubKey", Convert.ToHexStringLower(payout.ScriptPubKey));
            }

            w.WriteEndObject();
        };
    }

    private static void WriteNetworkInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("version", 270000);
        w.WriteString("subversion", "/StratumPool-devnet:1.0/");
        w.WriteNumber("protocolversion", 70016);
        w.WriteNumber("connections", 0);
        w.WriteBoolean("networkactive", true);
        w.WriteNumber("relayfee", 0.00001);
        w.WriteString("warnings", "");
        w.WriteEndObject();
    }

    private static async Task WriteErrorAsync(HttpContext context, JsonElement id, int code, string message, int status)
    {
        // Like bitcoind: an error object with a non-200 status (404 for an unknown method, 500 otherwise).
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteNull("result");
        writer.WriteStartObject("error");
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        WriteId(writer, id);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private static void WriteId(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WritePropertyName("id");
        if (id.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            id.WriteTo(writer);
        }
    }

    private static string StringParam(JsonElement parameters, int index) =>
        parameters.ValueKind == JsonValueKind.Array && parameters.GetArrayLength() > index && parameters[index].ValueKind == JsonValueKind.String
            ? parameters[index].GetString()!
            : throw new RpcError(-1, $"parameter {index + 1} must be a string");

    private static long LongParam(JsonElement parameters, int index) =>
        parameters.ValueKind == JsonValueKind.Array && parameters.GetArrayLength() > index && parameters[index].TryGetInt64(out var value)
            ? value
            : throw new RpcError(-1, $"parameter {index + 1} must be an integer");

    private sealed class RpcError(int code, string message) : Exception(message)
    {
        public int Code { get; } = code;
    }
}
