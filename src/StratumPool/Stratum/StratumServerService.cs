using StratumPool.Jobs;

namespace StratumPool.Stratum;

/// <summary>
/// Background side of the Stratum server: sends each new job to every session, keeps silent sessions fed
/// (minerd drops a connection that receives nothing for 120 s), lowers the difficulty of silent miners,
/// and closes connections that never subscribe (on shutdown the connection handler sends <c>client.reconnect</c>).
/// One periodic sweep serves all sessions; there is no timer per session.
/// </summary>
public sealed partial class StratumServerService(
    StratumServerContext context,
    ILogger<StratumServerService> logger) : BackgroundService
{
    /// <summary>How often the housekeeping sweep runs.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        context.Jobs.JobBroadcast += OnJobBroadcast;
        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        context.Jobs.JobBroadcast -= OnJobBroadcast;
        return base.StopAsync(cancellationToken);
    }

    private void OnJobBroadcast(JobBroadcast broadcast)
    {
        if (broadcast.CleanJobs)
        {
            context.LastNetworkBlockAt = context.Time.GetUtcNow();
        }

        LogBroadcast(broadcast.Job.Id, broadcast.Job.Height, broadcast.CleanJobs, context.Sessions.Count);
        foreach (var session in context.Sessions.Sessions)
        {
            if (session.WantsJobs)
            {
                _ = SendAsync(session, broadcast.Job, broadcast.CleanJobs);
            }
        }
    }

    private async Task SendAsync(StratumSession session, MiningJob job, bool cleanJobs)
    {
        try
        {
            await session.SendJobAsync(job, cleanJobs, CancellationToken.None);
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(session.ConnectionId, exception.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, context.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One housekeeping pass over all sessions.</summary>
    public void Sweep()
    {
        var now = context.Time.GetTimestamp();
        var keepalive = context.Options.KeepaliveInterval;
        foreach (var session in context.Sessions.Sessions)
        {
            if (!session.IsSubscribed)
            {
                if (context.Time.GetElapsedTime(session.ConnectedAt, now) > context.Options.HandshakeTimeout)
                {
                    context.Metrics.SessionsClosed.WithLabels(["handshake_timeout"]).Inc();
                    session.Abort("no mining.subscribe within the handshake timeout");
                }

                continue;
            }

            var retarget = session.CheckIdleVarDiff();
            if (session.WantsJobs && (retarget || context.Time.GetElapsedTime(session.LastSentAt, now) >= keepalive))
            {
                _ = SendCurrentAsync(session);
            }
        }

        if (context.Jobs.CurrentJob is { } job)
        {
            context.Metrics.JobAge.Set(Math.Max(0, (context.Time.GetUtcNow() - job.CreatedAt).TotalSeconds));
        }

        context.Metrics.Hashrate.Set(context.ShareRate.Hashrate);
    }

    private async Task SendCurrentAsync(StratumSession session)
    {
        try
        {
            await session.SendCurrentJobAsync(cleanJobs: false, CancellationToken.None);
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(session.ConnectionId, exception.Message);
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Job {JobId} at height {Height} (clean {Clean}) to {Sessions} sessions")]
    private partial void LogBroadcast(string jobId, long height, bool clean, int sessions);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Sending to session {ConnectionId} failed: {Message}")]
    private partial void LogSendFailed(string connectionId, string message);
}
