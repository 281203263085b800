using Prometheus;

namespace StratumProxy.Filtering;

/// <summary>Metrics of the connection filters and of banning.</summary>
public sealed class FilterMetrics
{
    public FilterMetrics(IMetricFactory factory)
    {
        RejectedConnections = factory.CreateCounter(
            "stratum_proxy_rejected_connections_total",
            "Connections refused before a session started, by listener and reason.",
            new CounterConfiguration { LabelNames = ["listener", "reason"] });
        Bans = factory.CreateCounter(
            "stratum_proxy_bans_total",
            "Addresses banned, by reason (invalid_shares, malformed_lines).",
            new CounterConfiguration { LabelNames = ["reason"] });
        BannedAddresses = factory.CreateGauge(
            "stratum_proxy_banned_addresses",
            "Addresses banned right now.");
    }

    public Counter RejectedConnections { get; }

    public Counter Bans { get; }

    public Gauge BannedAddresses { get; }

    public void Rejected(string listener, string reason) => RejectedConnections.WithLabels([listener, reason]).Inc();
}

/// <summary>Values of the <c>reason</c> label of <c>stratum_proxy_rejected_connections_total</c> set by the filters.</summary>
public static class RejectionReasons
{
    public const string Banned = "banned";
    public const string Geo = "geo";
    public const string IpLimit = "ip_limit";
    public const string MaxConnections = "max_connections";
    public const string RateLimit = "rate_limit";
}
