using MaxMind.Db;

namespace StratumProxy.Filtering;

/// <summary>
/// The parts of a country database record the geo filter reads. Two shapes are in use: MaxMind GeoLite2/GeoIP2 and
/// DB-IP write <c>country.iso_code</c> (and <c>registered_country.iso_code</c>, which anycast and satellite ranges may
/// have alone); the free ip-location-db files write a flat <c>country_code</c>.
/// </summary>
internal sealed class CountryRecord
{
    [Constructor]
    public CountryRecord(
        [MapKey("country")] CountryNode? country,
        [MapKey("registered_country")] CountryNode? registeredCountry,
        [MapKey("country_code")] string? countryCode)
    {
        IsoCode = Normalize(country?.IsoCode) ?? Normalize(registeredCountry?.IsoCode) ?? Normalize(countryCode);
    }

    public string? IsoCode { get; }

    private static string? Normalize(string? code) =>
        code is { Length: 2 } && char.IsAsciiLetter(code[0]) && char.IsAsciiLetter(code[1])
            ? code.ToUpperInvariant()
            : null;
}

internal sealed class CountryNode
{
    [Constructor]
    public CountryNode([MapKey("iso_code")] string? isoCode)
    {
        IsoCode = isoCode;
    }

    public string? IsoCode { get; }
}
