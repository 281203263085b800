using System.Net;

namespace StratumProxy.Filtering;

/// <summary>
/// Where bans are kept. Reads are synchronous because every accepted connection asks; an implementation backed by a
/// shared store (several proxy instances) keeps a local copy current and writes through.
/// </summary>
public interface IBanStore
{
    /// <summary>Bans in force (expired ones are never returned).</summary>
    IReadOnlyList<BanEntry> List();

    /// <summary>The ban in force on <paramref name="address"/>, if any.</summary>
    bool TryGet(IPAddress address, out BanEntry ban);

    /// <summary>Adds or replaces the ban on <see cref="BanEntry.Address"/>.</summary>
    void Add(BanEntry ban);

    /// <summary>Lifts the ban on <paramref name="address"/>; false when there was none in force.</summary>
    bool Remove(IPAddress address);
}

/// <summary>One banned address.</summary>
/// <param name="Reason">Why: <see cref="BanReasons.InvalidShares"/>, <see cref="BanReasons.MalformedLines"/> or one an operator gave.</param>
public sealed record BanEntry(IPAddress Address, string Reason, DateTimeOffset BannedAt, DateTimeOffset ExpiresAt);

/// <summary>Why an address was banned; also the <c>reason</c> label of <c>stratum_proxy_bans_total</c>.</summary>
public static class BanReasons
{
    public const string InvalidShares = "invalid_shares";
    public const string MalformedLines = "malformed_lines";
}
