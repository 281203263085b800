using System.Text.Json.Serialization;

namespace StratumPool.Jobs;

/// <summary>The fields of a <c>getblocktemplate</c> result (BIP22/BIP23, BIP141 segwit) the pool uses.</summary>
public sealed record BlockTemplate
{
    [JsonPropertyName("version")]
    public long Version { get; init; }

    [JsonPropertyName("rules")]
    public string[] Rules { get; init; } = [];

    [JsonPropertyName("previousblockhash")]
    public string PreviousBlockHash { get; init; } = "";

    [JsonPropertyName("transactions")]
    public TemplateTransaction[] Transactions { get; init; } = [];

    [JsonPropertyName("coinbasevalue")]
    public long CoinbaseValue { get; init; }

    [JsonPropertyName("longpollid")]
    public string? LongPollId { get; init; }

    [JsonPropertyName("target")]
    public string? Target { get; init; }

    [JsonPropertyName("mintime")]
    public long MinTime { get; init; }

    [JsonPropertyName("curtime")]
    public long CurTime { get; init; }

    [JsonPropertyName("bits")]
    public string Bits { get; init; } = "";

    [JsonPropertyName("height")]
    public long Height { get; init; }

    [JsonPropertyName("default_witness_commitment")]
    public string? DefaultWitnessCommitment { get; init; }

    /// <summary>True when the block must follow BIP141 (the template's rules name <c>segwit</c> or <c>!segwit</c>).</summary>
    [JsonIgnore]
    public bool SegwitActive => Array.Exists(Rules, r => r is "segwit" or "!segwit");
}

/// <summary>One transaction of a template: raw data, txid and wtxid (display hex), fee.</summary>
public sealed record TemplateTransaction
{
    [JsonPropertyName("data")]
    public string Data { get; init; } = "";

    [JsonPropertyName("txid")]
    public string? TxId { get; init; }

    [JsonPropertyName("hash")]
    public string? Hash { get; init; }

    [JsonPropertyName("fee")]
    public long Fee { get; init; }

    [JsonPropertyName("weight")]
    public long Weight { get; init; }
}
