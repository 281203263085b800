using System.Net;

namespace StratumProxy.Filtering;

/// <summary>Maps a client address to its country.</summary>
public interface ICountryLookup
{
    /// <summary>
    /// The ISO 3166-1 alpha-2 code (upper case) of the country <paramref name="address"/> belongs to, or null when it
    /// is unknown: not in the database, or not a public address (loopback, private, link-local).
    /// </summary>
    string? GetCountry(IPAddress address);
}

/// <summary>The lookup used when no country database is configured: every address is unknown.</summary>
public sealed class NoCountryLookup : ICountryLookup
{
    public static readonly NoCountryLookup Instance = new();

    public string? GetCountry(IPAddress address) => null;
}
