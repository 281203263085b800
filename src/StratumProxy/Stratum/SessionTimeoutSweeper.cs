using StratumProxy.Configuration;
using StratumProxy.Management;

namespace StratumProxy.Stratum;

/// <summary>
/// One periodic sweep enforces the handshake and idle timeouts of every session, so an idle session holds no
/// timer of its own.
/// </summary>
public sealed partial class SessionTimeoutSweeper : BackgroundService
{
    private readonly SessionRegistry _registry;
    private readonly ProxyConfigState _config;
    private readonly TimeProvider _time;
    private readonly ProxyMetrics _metrics;
    private readonly ILogger<SessionTimeoutSweeper> _logger;

    public SessionTimeoutSweeper(SessionRegistry registry, ProxyConfigState config, TimeProvider time, ProxyMetrics metrics, ILogger<SessionTimeoutSweeper> logger)
    {
        _registry = registry;
        _config = config;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The shortest time between sweeps, for timeouts of a few seconds or less.</summary>
    public static TimeSpan MinimumSweepInterval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest time between sweeps: no timeout is honoured later than this.</summary>
    public static TimeSpan MaximumSweepInterval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often sessions are checked: a tenth of the shorter timeout, within <see cref="MinimumSweepInterval"/> and
    /// <see cref="MaximumSweepInterval"/>. With the default timeouts (15 s, 10 min) an idle proxy wakes for this
    /// once a second; every timeout is honoured to within the interval.
    /// </summary>
    public static TimeSpan SweepInterval(LimitsOptions limits)
    {
        var tenth = Math.Min(limits.HandshakeTimeout.Ticks, limits.IdleTimeout.Ticks) / 10;
        return TimeSpan.FromTicks(Math.Clamp(tenth, MinimumSweepInterval.Ticks, MaximumSweepInterval.Ticks));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval(_config.Current.Limits), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();

                // Timeouts can change with a configuration reload.
                var interval = SweepInterval(_config.Current.Limits);
                if (timer.Period != interval)
                {
                    timer.Period = interval;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes every session past its handshake or idle deadline.</summary>
    public void Sweep()
    {
        var limits = _config.Current.Limits;
        var now = _time.GetTimestamp();
        var handshake = (long)(limits.HandshakeTimeout.TotalSeconds * _time.TimestampFrequency);
        var idle = (long)(limits.IdleTimeout.TotalSeconds * _time.TimestampFrequency);
        foreach (var session in _registry.Sessions)
        {
            if (!session.HandshakeComplete && now - session.StartedTicks > handshake)
            {
                _metrics.RejectedConnections.WithLabels([session.Listener, RejectReasons.HandshakeTimeout]).Inc();
                LogTimeout(_logger, session.Id, CloseReasons.HandshakeTimeout);
                session.Abort(CloseReasons.HandshakeTimeout);
            }
            else if (now - session.LastActivityTicks > idle)
            {
                LogTimeout(_logger, session.Id, CloseReasons.IdleTimeout);
                session.Abort(CloseReasons.IdleTimeout);
            }
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Debug, Message = "Session {SessionId} closed: {Reason}.")]
    private static partial void LogTimeout(ILogger logger, long sessionId, string reason);
}
