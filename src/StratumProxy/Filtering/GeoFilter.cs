using System.Net;
using StratumProxy.Configuration;

namespace StratumProxy.Filtering;

/// <summary>
/// A listener's country filter, built once from its <see cref="GeoFilterOptions"/>: the deny list wins, then a non-empty
/// allow list admits only its countries; addresses the database does not know (private and loopback ones included)
/// get the <see cref="GeoFilterOptions.Unknown"/> action.
/// </summary>
public sealed class GeoFilter
{
    private readonly HashSet<string> _allow;
    private readonly HashSet<string> _deny;
    private readonly bool _allowUnknown;
    private readonly ICountryLookup _lookup;

    public GeoFilter(GeoFilterOptions options, ICountryLookup lookup)
    {
        Options = options;
        _allow = new HashSet<string>(options.AllowCountries.Select(c => c.Trim()), StringComparer.OrdinalIgnoreCase);
        _deny = new HashSet<string>(options.DenyCountries.Select(c => c.Trim()), StringComparer.OrdinalIgnoreCase);
        _allowUnknown = options.Unknown == GeoUnknownAction.Allow;
        _lookup = lookup;
    }

    /// <summary>The options this filter was built from.</summary>
    public GeoFilterOptions Options { get; }

    public GeoVerdict Evaluate(IPAddress address)
    {
        var country = _lookup.GetCountry(address);
        if (country is null)
        {
            return new GeoVerdict(_allowUnknown, null);
        }

        var allowed = !_deny.Contains(country) && (_allow.Count == 0 || _allow.Contains(country));
        return new GeoVerdict(allowed, country);
    }
}

/// <summary>The geo filter's answer for one address; <see cref="Country"/> is null when unknown.</summary>
public readonly record struct GeoVerdict(bool Allowed, string? Country);
