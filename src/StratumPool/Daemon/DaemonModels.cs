using System.Text.Json;
using System.Text.Json.Serialization;

namespace StratumPool.Daemon;

/// <summary><c>getblockchaininfo</c>: the fields the pool reads.</summary>
public sealed record BlockchainInfo
{
    [JsonPropertyName("chain")]
    public string Chain { get; init; } = "";

    [JsonPropertyName("blocks")]
    public long Blocks { get; init; }

    [JsonPropertyName("headers")]
    public long Headers { get; init; }

    [JsonPropertyName("bestblockhash")]
    public string BestBlockHash { get; init; } = "";

    [JsonPropertyName("difficulty")]
    public double Difficulty { get; init; }

    [JsonPropertyName("initialblockdownload")]
    public bool InitialBlockDownload { get; init; }
}

/// <summary><c>getblock HASH</c> (verbosity 1): the fields the pool reads. bcoin gives <c>bits</c> as a number, bitcoind as hex.</summary>
public sealed record BlockInfo
{
    [JsonPropertyName("hash")]
    public string Hash { get; init; } = "";

    [JsonPropertyName("confirmations")]
    public long Confirmations { get; init; }

    [JsonPropertyName("height")]
    public long Height { get; init; }

    [JsonPropertyName("version")]
    public long Version { get; init; }

    [JsonPropertyName("merkleroot")]
    public string? MerkleRoot { get; init; }

    [JsonPropertyName("time")]
    public long Time { get; init; }

    [JsonPropertyName("bits")]
    public JsonElement Bits { get; init; }

    [JsonPropertyName("difficulty")]
    public double Difficulty { get; init; }

    [JsonPropertyName("previousblockhash")]
    public string? PreviousBlockHash { get; init; }

    [JsonPropertyName("nextblockhash")]
    public string? NextBlockHash { get; init; }

    [JsonPropertyName("tx")]
    public JsonElement Transactions { get; init; }
}

/// <summary><c>validateaddress</c>.</summary>
public sealed record AddressValidation
{
    [JsonPropertyName("isvalid")]
    public bool IsValid { get; init; }

    [JsonPropertyName("address")]
    public string? Address { get; init; }

    [JsonPropertyName("scriptPubKey")]
    public string? ScriptPubKey { get; init; }
}

/// <summary><c>getnetworkinfo</c>. bcoin sends <c>version</c> as a string, bitcoind as a number.</summary>
public sealed record NetworkInfo
{
    [JsonPropertyName("version")]
    public JsonElement Version { get; init; }

    [JsonPropertyName("subversion")]
    public string? SubVersion { get; init; }

    [JsonPropertyName("connections")]
    public int Connections { get; init; }

    /// <summary>The version as text, whatever its JSON type.</summary>
    [JsonIgnore]
    public string VersionText => Version.ValueKind switch
    {
        JsonValueKind.String => Version.GetString() ?? "",
        JsonValueKind.Number => Version.GetRawText(),
        _ => "",
    };
}
