using System.Collections.Concurrent;
using Prometheus;

namespace StratumProxy.Management;

/// <summary>Reasons a connection is refused or a session is closed, as the <c>reason</c> label spells them.</summary>
public static class RejectReasons
{
    public const string IpLimit = "ip_limit";
    public const string MaxConnections = "max_connections";
    public const string HandshakeTimeout = "handshake_timeout";
    public const string LineTooLong = "line_too_long";
    public const string InvalidJson = "invalid_json";
    public const string NoDestination = "no_destination";
    public const string ProxyProtocol = "proxy_protocol";
    public const string Banned = "banned";
    public const string Geo = "geo";
    public const string RateLimit = "rate_limit";
}

/// <summary>Why a session ended, for the access log and <c>stratum_proxy_sessions_closed_total</c>.</summary>
public static class CloseReasons
{
    public const string ClientClosed = "client_closed";
    public const string DestinationClosed = "destination_closed";
    public const string IdleTimeout = "idle_timeout";
    public const string HandshakeTimeout = RejectReasons.HandshakeTimeout;
    public const string LineTooLong = RejectReasons.LineTooLong;
    public const string InvalidJson = RejectReasons.InvalidJson;
    public const string NoDestination = RejectReasons.NoDestination;
    public const string Drained = "drained";
    public const string Banned = RejectReasons.Banned;
    public const string Error = "error";
}

/// <summary>The proxy's own series, in the host's registry so each host (and test) has its own.</summary>
public sealed class ProxyMetrics
{
    private readonly CollectorRegistry _registry;
    private readonly Lock _stripedGate = new();
    private readonly ConcurrentDictionary<string, StripedCounter> _bytesFromClients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StripedCounter> _bytesToClients = new(StringComparer.Ordinal);
    private StripedCounter[] _striped = [];

    public ProxyMetrics(CollectorRegistry registry)
    {
        _registry = registry;
        registry.AddBeforeCollectCallback(PublishStriped);
        var factory = Metrics.WithCustomRegistry(registry);
        SessionsActive = factory.CreateGauge("stratum_proxy_sessions_active", "Miner sessions open now, by listener.", ["listener"]);
        SessionsTotal = factory.CreateCounter("stratum_proxy_sessions_total", "Miner sessions accepted, by listener.", ["listener"]);
        SessionsClosed = factory.CreateCounter("stratum_proxy_sessions_closed_total", "Miner sessions ended, by listener and reason.", ["listener", "reason"]);
        DestinationSessionsActive = factory.CreateGauge("stratum_proxy_destination_sessions_active", "Sessions forwarded to a destination now.", ["cluster", "destination"]);
        DestinationSessionsTotal = factory.CreateCounter("stratum_proxy_destination_sessions_total", "Sessions forwarded to a destination.", ["cluster", "destination"]);
        BytesFromClients = factory.CreateCounter("stratum_proxy_client_bytes_received_total", "Bytes received from miners and forwarded, by listener.", ["listener"]);
        BytesToClients = factory.CreateCounter("stratum_proxy_client_bytes_sent_total", "Bytes sent to miners, by listener.", ["listener"]);
        RejectedConnections = factory.CreateCounter("stratum_proxy_rejected_connections_total", "Connections refused or closed early, by listener and reason.", ["listener", "reason"]);
        SessionDuration = factory.CreateHistogram(
            "stratum_proxy_session_duration_seconds",
            "How long miner sessions lasted.",
            new HistogramConfiguration
            {
                LabelNames = ["listener"],
                Buckets = [1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600],
            });
        Shares = factory.CreateCounter("stratum_proxy_shares_total", "Shares answered by the pool, by listener, destination and result.", ["listener", "cluster", "destination", "result"]);
        WorkerShares = factory.CreateCounter("stratum_proxy_worker_shares_total", "Shares per worker (only with Metrics:PerWorker; capped, the rest count as worker=\"other\").", ["worker", "result"]);
        DestinationHashrate = factory.CreateGauge("stratum_proxy_destination_hashrate", "Estimated hash rate (H/s) from accepted share difficulty over the last window.", ["cluster", "destination"]);
        ConfigReloads = factory.CreateCounter("stratum_proxy_config_reloads_total", "Configuration reloads, by outcome.", ["outcome"]);
        HeapTrims = factory.CreateCounter("stratum_proxy_heap_trims_total", "Full compacting collections that gave the heap back after a burst of allocation.");
        NotifySentEarly = factory.CreateCounter("stratum_proxy_notify_sent_early_total", "Jobs (mining.notify) sent to a miner as soon as the pool node's first copy arrived, before the miner's own.", ["cluster", "destination"]);
        NotifyDuplicatesDropped = factory.CreateCounter("stratum_proxy_notify_duplicates_dropped_total", "Miners' own copies of a job they had been sent early, not sent again.", ["cluster", "destination"]);
        NotifyMismatches = factory.CreateCounter("stratum_proxy_notify_mismatches_total", "Sessions sent a job early whose own connection then brought a different one (a pool giving jobs per connection).", ["cluster", "destination"]);
        HeapTrimPause = factory.CreateCounter("stratum_proxy_heap_trim_pause_seconds_total", "Time the process was paused by those collections.");
    }

    public Gauge SessionsActive { get; }

    public Counter SessionsTotal { get; }

    public Counter SessionsClosed { get; }

    public Gauge DestinationSessionsActive { get; }

    public Counter DestinationSessionsTotal { get; }

    public Counter BytesFromClients { get; }

    public Counter BytesToClients { get; }

    public Counter RejectedConnections { get; }

    public Histogram SessionDuration { get; }

    public Counter Shares { get; }

    public Counter WorkerShares { get; }

    public Gauge DestinationHashrate { get; }

    public Counter ConfigReloads { get; }

    public Counter HeapTrims { get; }

    public Counter HeapTrimPause { get; }

    public Counter NotifySentEarly { get; }

    public Counter NotifyDuplicatesDropped { get; }

    public Counter NotifyMismatches { get; }

    /// <summary>A listener's bytes from miners, counted per event loop (<see cref="BytesFromClients"/>).</summary>
    public StripedCounter BytesFromClientsOf(string listener) =>
        _bytesFromClients.GetOrAdd(listener, static (name, self) => self.Striped(self.BytesFromClients.WithLabels([name])), this);

    /// <summary>A listener's bytes to miners, counted per event loop (<see cref="BytesToClients"/>).</summary>
    public StripedCounter BytesToClientsOf(string listener) =>
        _bytesToClients.GetOrAdd(listener, static (name, self) => self.Striped(self.BytesToClients.WithLabels([name])), this);

    /// <summary>A count for <paramref name="series"/> that the loops add to apart and a scrape publishes.</summary>
    public StripedCounter Striped(Counter.Child series)
    {
        var counter = new StripedCounter(series);
        lock (_stripedGate)
        {
            _striped = [.. _striped, counter];
        }

        return counter;
    }

    /// <summary>Runs <paramref name="callback"/> before each scrape, to set series that are computed, not counted.</summary>
    public void BeforeCollect(Action callback) => _registry.AddBeforeCollectCallback(callback);

    private void PublishStriped()
    {
        foreach (var counter in Volatile.Read(ref _striped))
        {
            counter.Publish();
        }
    }
}
