using System.Net;
using StratumProxy.Routing;
using StratumProxy.Routing.LoadBalancing;

namespace StratumProxy.Configuration;

/// <summary>Checks a whole <see cref="ProxyOptions"/> and collects every error, each naming its key.</summary>
public static class ProxyOptionsValidator
{
    /// <summary>The routing layer's own policies, so a name is valid exactly when routing can build it.</summary>
    private static readonly LoadBalancingPolicyRegistry Policies = LoadBalancingPolicyRegistry.CreateDefault();

    private static readonly HashSet<string> KnownTlsProtocols = new(StringComparer.OrdinalIgnoreCase) { "Tls12", "Tls13" };

    public static IReadOnlyList<string> Validate(ProxyOptions options)
    {
        var errors = new List<string>();
        const string root = ProxyOptions.SectionName;

        if (options.Listeners.Count == 0)
        {
            errors.Add($"{root}:Listeners: at least one listener is required.");
        }

        var bound = new Dictionary<int, List<(string Key, EndPoint EndPoint)>>();
        foreach (var (name, listener) in options.Listeners)
        {
            var key = $"{root}:Listeners:{name}";
            ValidateListener(options, key, listener, errors, bound);
        }

        if (!EndpointParser.TryParse(options.Management.Endpoint, out var management))
        {
            errors.Add($"{root}:Management:Endpoint: '{options.Management.Endpoint}' is not a valid endpoint (host:port).");
        }
        else
        {
            CheckPortClash($"{root}:Management:Endpoint", management, bound, errors);
        }

        for (var i = 0; i < options.Management.PoolApis.Count; i++)
        {
            if (!Uri.TryCreate(options.Management.PoolApis[i], UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https"))
            {
                errors.Add($"{root}:Management:PoolApis:{i}: '{options.Management.PoolApis[i]}' is not an absolute http(s) URL.");
            }
        }

        foreach (var (name, cluster) in options.Clusters)
        {
            ValidateCluster($"{root}:Clusters:{name}", cluster, errors);
        }

        ValidateLimits($"{root}:Limits", options.Limits, errors);
        ValidateBanning($"{root}:Banning", options.Banning, errors);

        if (options.Metrics.MaxWorkerSeries < 0)
        {
            errors.Add($"{root}:Metrics:MaxWorkerSeries: must be 0 or more.");
        }

        if (options.Memory.QuietPeriod < TimeSpan.FromMilliseconds(100) || options.Memory.QuietPeriod > TimeSpan.FromHours(1))
        {
            errors.Add($"{root}:Memory:QuietPeriod: must be between 00:00:00.1 and 01:00:00.");
        }

        if (options.Memory.TrimAfterGrowthMiB < 1)
        {
            errors.Add($"{root}:Memory:TrimAfterGrowthMiB: must be 1 or more.");
        }

        if (options.Memory.QuietBelowKiBPerSecond < 1)
        {
            errors.Add($"{root}:Memory:QuietBelowKiBPerSecond: must be 1 or more.");
        }

        if (options.Memory.MaxWaitForTrafficGap < TimeSpan.Zero || options.Memory.MaxWaitForTrafficGap > TimeSpan.FromHours(1))
        {
            errors.Add($"{root}:Memory:MaxWaitForTrafficGap: must be between 00:00:00 and 01:00:00.");
        }

        var usesAcme = options.Listeners.Values.Any(l => l.Tls?.Certificate == CertificateSource.Acme);
        if (usesAcme)
        {
            ValidateAcme($"{root}:Acme", options.Acme, errors);
        }

        if (options.Geo.Database is { Length: > 0 } database && !File.Exists(database))
        {
            errors.Add($"{root}:Geo:Database: file '{database}' does not exist.");
        }

        if (string.IsNullOrWhiteSpace(options.DataPath))
        {
            errors.Add($"{root}:DataPath: must not be empty.");
        }

        return errors;
    }

    private static void ValidateListener(ProxyOptions options, string key, ListenerOptions listener, List<string> errors, Dictionary<int, List<(string, EndPoint)>> bound)
    {
        if (!EndpointParser.TryParse(listener.Endpoint, out var endPoint))
        {
            errors.Add($"{key}:Endpoint: '{listener.Endpoint}' is not a valid endpoint (host:port).");
        }
        else
        {
            CheckPortClash($"{key}:Endpoint", endPoint, bound, errors);
        }

        if (string.IsNullOrWhiteSpace(listener.Cluster))
        {
            errors.Add($"{key}:Cluster: is required.");
        }
        else if (!options.Clusters.ContainsKey(listener.Cluster))
        {
            errors.Add($"{key}:Cluster: unknown cluster '{listener.Cluster}'.");
        }

        if (listener.MaxConnectionsPerIp < 0)
        {
            errors.Add($"{key}:MaxConnectionsPerIp: must be 0 (unlimited) or more.");
        }

        if (listener.NewConnectionsPerIpPerMinute < 0)
        {
            errors.Add($"{key}:NewConnectionsPerIpPerMinute: must be 0 (unlimited) or more.");
        }

        for (var i = 0; i < listener.TrustedProxies.Count; i++)
        {
            if (!AddressRangeParser.TryParse(listener.TrustedProxies[i], out _))
            {
                errors.Add($"{key}:TrustedProxies:{i}: '{listener.TrustedProxies[i]}' is not an address or CIDR range.");
            }
        }

        if (listener.Tls is { } tls)
        {
            ValidateTls($"{key}:Tls", tls, errors);
        }

        if (listener.Geo is { } geo)
        {
            if (string.IsNullOrWhiteSpace(options.Geo.Database))
            {
                errors.Add($"{key}:Geo: needs a country database in Proxy:Geo:Database.");
            }

            ValidateCountries($"{key}:Geo:AllowCountries", geo.AllowCountries, errors);
            ValidateCountries($"{key}:Geo:DenyCountries", geo.DenyCountries, errors);
        }
    }

    private static void ValidateCountries(string key, List<string> countries, List<string> errors)
    {
        for (var i = 0; i < countries.Count; i++)
        {
            var code = countries[i];
            if (code is not { Length: 2 } || !char.IsAsciiLetter(code[0]) || !char.IsAsciiLetter(code[1]))
            {
                errors.Add($"{key}:{i}: '{code}' is not a two-letter ISO 3166 country code.");
            }
        }
    }

    private static void ValidateTls(string key, TlsListenerOptions tls, List<string> errors)
    {
        for (var i = 0; i < tls.Protocols.Count; i++)
        {
            if (!KnownTlsProtocols.Contains(tls.Protocols[i]))
            {
                errors.Add($"{key}:Protocols:{i}: '{tls.Protocols[i]}' is not supported (use Tls12, Tls13).");
            }
        }

        for (var i = 0; i < tls.Hosts.Count; i++)
        {
            if (Uri.CheckHostName(tls.Hosts[i]) == UriHostNameType.Unknown)
            {
                errors.Add($"{key}:Hosts:{i}: '{tls.Hosts[i]}' is not a host name.");
            }
        }

        switch (tls.Certificate)
        {
            case CertificateSource.Acme when tls.Hosts.Count == 0:
                errors.Add($"{key}:Hosts: an ACME certificate needs at least one host name.");
                break;
            case CertificateSource.File when string.IsNullOrWhiteSpace(tls.CertificatePath):
                errors.Add($"{key}:CertificatePath: is required with \"Certificate\": \"File\".");
                break;
            case CertificateSource.File when !File.Exists(tls.CertificatePath):
                errors.Add($"{key}:CertificatePath: file '{tls.CertificatePath}' does not exist.");
                break;
            case CertificateSource.File when tls.KeyPath is { Length: > 0 } keyPath && !File.Exists(keyPath):
                errors.Add($"{key}:KeyPath: file '{keyPath}' does not exist.");
                break;
        }
    }

    private static void CheckPortClash(string key, EndPoint endPoint, Dictionary<int, List<(string Key, EndPoint EndPoint)>> bound, List<string> errors)
    {
        var port = EndpointParser.PortOf(endPoint);
        if (port == 0)
        {
            return; // an ephemeral port never clashes
        }

        if (!bound.TryGetValue(port, out var others))
        {
            bound[port] = others = [];
        }

        foreach (var (otherKey, other) in others)
        {
            if (Overlaps(endPoint, other))
            {
                errors.Add($"{key}: port {port} is already used by {otherKey}.");
                return;
            }
        }

        others.Add((key, endPoint));
    }

    private static bool Overlaps(EndPoint a, EndPoint b)
    {
        if (a is IPEndPoint ipA && b is IPEndPoint ipB)
        {
            return IsAny(ipA.Address) || IsAny(ipB.Address) || ipA.Address.Equals(ipB.Address);
        }

        return true;
    }

    private static bool IsAny(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static void ValidateCluster(string key, ClusterOptions cluster, List<string> errors)
    {
        // The routing layer's own checks, so an edit it could not build is refused before anything is applied.
        RoutingOptionsValidator.Validate(key, cluster, Policies, errors);
        if (cluster.Destinations.Count > 0 && cluster.Destinations.Values.All(d => d.Backup))
        {
            errors.Add($"{key}:Destinations: at least one destination must not be a backup.");
        }
    }

    private static void ValidateLimits(string key, LimitsOptions limits, List<string> errors)
    {
        if (limits.MaxConnections < 0)
        {
            errors.Add($"{key}:MaxConnections: must be 0 (unlimited) or more.");
        }

        if (limits.MaxConnectionsPerIp < 0)
        {
            errors.Add($"{key}:MaxConnectionsPerIp: must be 0 (unlimited) or more.");
        }

        if (limits.NewConnectionsPerIpPerMinute < 0)
        {
            errors.Add($"{key}:NewConnectionsPerIpPerMinute: must be 0 (unlimited) or more.");
        }

        if (limits.MaxLineBytes < 512)
        {
            errors.Add($"{key}:MaxLineBytes: must be at least 512 (a mining.notify is 1-9 KB).");
        }

        if (limits.HandshakeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{key}:HandshakeTimeout: must be positive.");
        }

        if (limits.IdleTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{key}:IdleTimeout: must be positive.");
        }

        if (limits.DrainTimeout < TimeSpan.Zero)
        {
            errors.Add($"{key}:DrainTimeout: must not be negative.");
        }
    }

    private static void ValidateBanning(string key, BanningOptions banning, List<string> errors)
    {
        if (!banning.Enabled)
        {
            return;
        }

        if (banning.BanTime <= TimeSpan.Zero)
        {
            errors.Add($"{key}:BanTime: must be positive.");
        }

        if (banning.InvalidPercent is < 0 or > 100)
        {
            errors.Add($"{key}:InvalidPercent: must be between 0 and 100.");
        }

        if (banning.CheckThreshold < 1)
        {
            errors.Add($"{key}:CheckThreshold: must be at least 1.");
        }

        if (banning.MalformedLinesBeforeBan < 0)
        {
            errors.Add($"{key}:MalformedLinesBeforeBan: must be 0 (off) or more.");
        }
    }

    private static void ValidateAcme(string key, AcmeOptions? acme, List<string> errors)
    {
        if (acme is null)
        {
            errors.Add($"{key}: is required when a listener uses \"Certificate\": \"Acme\".");
            return;
        }

        if (!Uri.TryCreate(acme.DirectoryUrl, UriKind.Absolute, out var directory) || directory.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{key}:DirectoryUrl: '{acme.DirectoryUrl}' is not an https URL.");
        }

        if (!acme.AcceptTermsOfService)
        {
            errors.Add($"{key}:AcceptTermsOfService: must be true to register an ACME account.");
        }

        if (acme.Challenge == AcmeChallengeKind.Http01 && !EndpointParser.TryParse(acme.HttpChallengeEndpoint, out _))
        {
            errors.Add($"{key}:HttpChallengeEndpoint: '{acme.HttpChallengeEndpoint}' is not a valid endpoint (host:port).");
        }

        if (acme.RenewBefore <= TimeSpan.Zero)
        {
            errors.Add($"{key}:RenewBefore: must be positive.");
        }

        if (acme.DirectoryCertificateAuthority is { Length: > 0 } ca && !File.Exists(ca))
        {
            errors.Add($"{key}:DirectoryCertificateAuthority: file '{ca}' does not exist.");
        }
    }
}
