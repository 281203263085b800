using System.Text.Json.Serialization;

namespace StratumProxy.Filtering;

/// <summary>The on-disk form of <c>bans.json</c>.</summary>
internal sealed record BanFile
{
    public int Version { get; init; } = 1;

    public List<BanFileEntry> Bans { get; init; } = [];
}

internal sealed record BanFileEntry
{
    public required string Address { get; init; }

    public required string Reason { get; init; }

    public DateTimeOffset BannedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BanFile))]
internal sealed partial class BanFileJsonContext : JsonSerializerContext;
