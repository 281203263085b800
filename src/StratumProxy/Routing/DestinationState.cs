namespace StratumProxy.Routing;

/// <summary>
/// One pool node at run time: its session count, health and counters. The same instance lives across reloads
/// as long as the destination keeps its name and address, so sessions and health survive configuration edits.
/// Reads on the hot path are lock-free; the rare writes (failures, probe results) take a small lock.
/// </summary>
public sealed class DestinationState
{
    private readonly Lock _healthLock = new();
    private readonly CancellationTokenSource _drain = new();
    private DestinationSettings _settings;
    private int _activeSessions;
    private long _totalSessions;
    private long _connectFailures;
    private long _earlyCloses;
    private int _activeHealth;
    private int _consecutiveProbeSuccesses;
    private int _consecutiveProbeFailures;
    private int _passiveFailures;
    private long _failWindowStartTicks;
    private long _unavailableUntilTicks;
    private bool _onProbation;
    private int _draining;
    private int _heldByOperator;
    private int _activeHealthGeneration;

    internal DestinationState(ClusterState cluster, string name, DestinationAddress address, DestinationSettings settings)
    {
        Cluster = cluster;
        Name = name;
        Address = address;
        _settings = settings;
    }

    /// <summary>The cluster the destination belongs to.</summary>
    public ClusterState Cluster { get; }

    public string Name { get; }

    public DestinationAddress Address { get; }

    /// <summary>Weight, backup flag and connection cap now in force.</summary>
    public DestinationSettings Settings => Volatile.Read(ref _settings);

    /// <summary>Miner sessions holding a lease on this destination now (probes never count).</summary>
    public int ActiveSessions => Volatile.Read(ref _activeSessions);

    /// <summary>Sessions ever leased on this destination.</summary>
    public long TotalSessions => Interlocked.Read(ref _totalSessions);

    /// <summary>Connect attempts that failed or timed out.</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>Sessions the backend closed before answering the miner's first request.</summary>
    public long EarlyCloses => Interlocked.Read(ref _earlyCloses);

    public ActiveHealthState ActiveHealth => (ActiveHealthState)Volatile.Read(ref _activeHealth);

    /// <summary>Changes whenever active health is reset, so a probe that started before the reset is not recorded.</summary>
    public int ActiveHealthGeneration => Volatile.Read(ref _activeHealthGeneration);

    public int ConsecutiveProbeSuccesses => Volatile.Read(ref _consecutiveProbeSuccesses);

    public int ConsecutiveProbeFailures => Volatile.Read(ref _consecutiveProbeFailures);

    /// <summary>Until when passive health keeps the destination out, as UTC ticks; 0 when never marked.</summary>
    public long PassiveUnavailableUntilUtcTicks => Volatile.Read(ref _unavailableUntilTicks);

    /// <summary>Removed from the configuration: takes no new sessions, existing ones finish or are closed after the drain timeout.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>Cancelled when the destination starts draining; a forwarder links its drain timer to it.</summary>
    public CancellationToken DrainRequested => _drain.Token;

    /// <summary>
    /// Drained through the management API (HAProxy's <c>drain</c> state): takes no new sessions while its open ones
    /// go on; backups step in as for a failed node. Kept across reloads while the destination keeps its name and address.
    /// </summary>
    public bool IsHeldByOperator => Volatile.Read(ref _heldByOperator) != 0;

    /// <summary>Would take a new session now: not draining, not held by the operator, not actively unhealthy, not passively failed.</summary>
    public bool IsAvailable(long nowUtcTicks) =>
        Volatile.Read(ref _draining) == 0
        && Volatile.Read(ref _heldByOperator) == 0
        && Volatile.Read(ref _activeHealth) != (int)ActiveHealthState.Unhealthy
        && nowUtcTicks >= Volatile.Read(ref _unavailableUntilTicks);

    /// <summary>Neither actively unhealthy nor passively failed (draining aside): the value of the health gauge.</summary>
    public bool IsHealthy(long nowUtcTicks) =>
        Volatile.Read(ref _activeHealth) != (int)ActiveHealthState.Unhealthy
        && nowUtcTicks >= Volatile.Read(ref _unavailableUntilTicks);

    /// <summary>Below <see cref="DestinationSettings.MaxConnections"/> (a racing acquire may still lose).</summary>
    public bool HasCapacity
    {
        get
        {
            var max = Settings.MaxConnections;
            return max <= 0 || Volatile.Read(ref _activeSessions) < max;
        }
    }

    /// <summary>Takes a session slot unless the destination is at its cap or draining; never exceeds the cap.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            if (IsDraining)
            {
                return false;
            }

            var current = Volatile.Read(ref _activeSessions);
            var max = Settings.MaxConnections;
            if (max > 0 && current >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _activeSessions, current + 1, current) == current)
            {
                Interlocked.Increment(ref _totalSessions);
                return true;
            }
        }
    }

    /// <summary>Returns a slot taken by <see cref="TryAcquire"/>.</summary>
    public void Release()
    {
        var remaining = Interlocked.Decrement(ref _activeSessions);
        if (remaining < 0)
        {
            Interlocked.Increment(ref _activeSessions);
            throw new InvalidOperationException($"Destination '{Name}' released more sessions than it acquired.");
        }

        if (remaining == 0 && IsDraining)
        {
            Cluster.OnDestinationDrained(this);
        }
    }

    internal void UpdateSettings(DestinationSettings settings) => Volatile.Write(ref _settings, settings);

    /// <summary>Holds the destination out of selection (or lets it back in); returns whether this changed anything.</summary>
    public bool SetHeldByOperator(bool held) => Interlocked.Exchange(ref _heldByOperator, held ? 1 : 0) != (held ? 1 : 0);

    internal void StartDraining()
    {
        if (Interlocked.Exchange(ref _draining, 1) == 0)
        {
            _drain.Cancel();
        }
    }

    internal void CountConnectFailure() => Interlocked.Increment(ref _connectFailures);

    internal void CountEarlyClose() => Interlocked.Increment(ref _earlyCloses);

    /// <summary>
    /// nginx's <c>max_fails</c>/<c>fail_timeout</c>: failures are counted in a window of <paramref name="failTimeout"/>
    /// opened by the first one; reaching <paramref name="maxFailures"/> keeps the destination out for
    /// <paramref name="failTimeout"/>. After that period it is on probation: one more failure before a successful
    /// connect keeps it out again at once, so a node that is still dead costs one attempt per period.
    /// </summary>
    internal PassiveFailureOutcome RecordPassiveFailure(long nowUtcTicks, int maxFailures, TimeSpan failTimeout)
    {
        lock (_healthLock)
        {
            var until = _unavailableUntilTicks;
            if (nowUtcTicks < until)
            {
                return PassiveFailureOutcome.AlreadyUnavailable;
            }

            if (_onProbation)
            {
                Volatile.Write(ref _unavailableUntilTicks, nowUtcTicks + failTimeout.Ticks);
                return PassiveFailureOutcome.BecameUnavailable;
            }

            if (_passiveFailures == 0 || nowUtcTicks - _failWindowStartTicks >= failTimeout.Ticks)
            {
                _passiveFailures = 0;
                _failWindowStartTicks = nowUtcTicks;
            }

            _passiveFailures++;
            if (_passiveFailures < Math.Max(1, maxFailures))
            {
                return PassiveFailureOutcome.Counted;
            }

            _passiveFailures = 0;
            _onProbation = true;
            Volatile.Write(ref _unavailableUntilTicks, nowUtcTicks + failTimeout.Ticks);
            return PassiveFailureOutcome.BecameUnavailable;
        }
    }

    /// <summary>A connect succeeded: probation after a passive failure period ends.</summary>
    internal void RecordConnectSuccess(long nowUtcTicks)
    {
        if (!Volatile.Read(ref _onProbation) || nowUtcTicks < Volatile.Read(ref _unavailableUntilTicks))
        {
            return;
        }

        lock (_healthLock)
        {
            _onProbation = false;
        }
    }

    /// <summary>Forgets passive failures (passive checks turned off by a reload).</summary>
    internal void ResetPassiveHealth()
    {
        lock (_healthLock)
        {
            _passiveFailures = 0;
            _onProbation = false;
            Volatile.Write(ref _unavailableUntilTicks, 0);
        }
    }

    /// <summary>
    /// Counts one probe and moves the active state: <paramref name="unhealthyThreshold"/> consecutive failures
    /// make it <see cref="ActiveHealthState.Unhealthy"/>; from unhealthy, <paramref name="healthyThreshold"/>
    /// consecutive successes make it healthy again; from unknown, one success does.
    /// </summary>
    /// <param name="generation">The <see cref="ActiveHealthGeneration"/> read when the probe started; a result
    /// from before a reset is ignored.</param>
    /// <returns>The state before and after.</returns>
    internal (ActiveHealthState Before, ActiveHealthState After) RecordProbeResult(bool success, int unhealthyThreshold, int healthyThreshold, int? generation = null)
    {
        lock (_healthLock)
        {
            var before = (ActiveHealthState)_activeHealth;
            if (generation is { } expected && expected != _activeHealthGeneration)
            {
                return (before, before);
            }

            var after = before;
            if (success)
            {
                Volatile.Write(ref _consecutiveProbeFailures, 0);
                var successes = _consecutiveProbeSuccesses + 1;
                Volatile.Write(ref _consecutiveProbeSuccesses, successes);
                if (before == ActiveHealthState.Unknown || (before == ActiveHealthState.Unhealthy && successes >= Math.Max(1, healthyThreshold)))
                {
                    after = ActiveHealthState.Healthy;
                }
            }
            else
            {
                Volatile.Write(ref _consecutiveProbeSuccesses, 0);
                var failures = _consecutiveProbeFailures + 1;
                Volatile.Write(ref _consecutiveProbeFailures, failures);
                if (before != ActiveHealthState.Unhealthy && failures >= Math.Max(1, unhealthyThreshold))
                {
                    after = ActiveHealthState.Unhealthy;
                }
            }

            Volatile.Write(ref _activeHealth, (int)after);
            return (before, after);
        }
    }

    /// <summary>Back to <see cref="ActiveHealthState.Unknown"/> (active checks turned off by a reload).</summary>
    internal void ResetActiveHealth()
    {
        lock (_healthLock)
        {
            Volatile.Write(ref _activeHealthGeneration, _activeHealthGeneration + 1);
            Volatile.Write(ref _activeHealth, (int)ActiveHealthState.Unknown);
            Volatile.Write(ref _consecutiveProbeFailures, 0);
            Volatile.Write(ref _consecutiveProbeSuccesses, 0);
        }
    }

    public override string ToString() => $"{Cluster.Name}/{Name} ({Address})";
}
