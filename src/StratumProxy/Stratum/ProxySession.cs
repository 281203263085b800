using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Stratum.Transport.EventLoop;

namespace StratumProxy.Stratum;

/// <summary>
/// One miner's session as the proxy sees it: who it is (worker, user agent, extranonce), what it mines at
/// (difficulty, job) and how its shares fared. Written by the two forwarding loops, read by the status API.
/// </summary>
public sealed class ProxySession
{
    private static long s_nextId;
    private readonly PendingRequests _pending = new();

    // Guards the pending requests and the job id: the loop that forwards the session, and the status API.
    private SpinGate _gate;
    private readonly ConnectionContext _client;
    private EpollSocket? _upstream;
    private CancellationTokenSource? _connecting;
    private const int NoJobId = -1;
    private const int LongJobId = -2;
    private long _lastActivity;
    private JobIdBytes _jobId;
    private int _jobIdLength = NoJobId;
    private string? _longJobId;
    private int _closing;

    public ProxySession(string listener, string cluster, ConnectionContext client, IPEndPoint clientEndPoint, DateTimeOffset startedAt, long startedTicks)
    {
        Id = Interlocked.Increment(ref s_nextId);
        Listener = listener;
        Cluster = cluster;
        _client = client;
        ClientEndPoint = clientEndPoint;
        StartedAt = startedAt;
        StartedTicks = startedTicks;
        _lastActivity = startedTicks;
    }

    public long Id { get; }

    public string Listener { get; }

    public string Cluster { get; }

    public IPEndPoint ClientEndPoint { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary><see cref="Environment.TickCount64"/>-style timestamp of the start, for timeouts.</summary>
    public long StartedTicks { get; }

    public string? Destination { get; internal set; }

    public string? Worker { get; internal set; }

    public string? UserAgent { get; internal set; }

    public string? ExtraNonce1 { get; internal set; }

    public bool VersionRolling { get; internal set; }

    public double Difficulty { get; internal set; }

    /// <summary>The job of the pool's last <c>mining.notify</c>; kept as bytes, made a string only when asked.</summary>
    public string? JobId
    {
        get
        {
            _gate.Enter();
            try
            {
                return _jobIdLength switch
                {
                    NoJobId => null,
                    LongJobId => _longJobId,
                    _ => Encoding.UTF8.GetString(((ReadOnlySpan<byte>)_jobId)[.._jobIdLength]),
                };
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>Set once the miner sent its first complete line; until then the handshake timeout applies.</summary>
    public bool HandshakeComplete { get; internal set; }

    /// <summary>The share metrics of this session's listener and destination, found at its first answered share.</summary>
    internal ShareSeries? ShareSeries;

    public long SharesAccepted;

    public long SharesRejected;

    public long BytesFromClient;

    public long BytesToClient;

    /// <summary>Whether the destination sent anything yet (a close before that counts as a passive health failure).</summary>
    public bool DestinationAnswered { get; internal set; }

    public string? CloseReason { get; private set; }

    public long LastActivityTicks => Volatile.Read(ref _lastActivity);

    public void Touch(long nowTicks) => Volatile.Write(ref _lastActivity, nowTicks);

    public long SharesUnanswered
    {
        get
        {
            _gate.Enter();
            try
            {
                return _pending.CountOf(StratumMethod.Submit);
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>Records the job id from the raw bytes of a notify's first parameter (no allocation for ids up to 32 bytes).</summary>
    internal void SetJobId(ReadOnlySpan<byte> raw)
    {
        _gate.Enter();
        try
        {
            if (raw.Length <= JobIdBytes.Capacity)
            {
                raw.CopyTo(_jobId);
                _jobIdLength = raw.Length;
            }
            else
            {
                _longJobId = Encoding.UTF8.GetString(raw);
                _jobIdLength = LongJobId;
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    internal void SetJobId(string? jobId)
    {
        _gate.Enter();
        try
        {
            _longJobId = jobId;
            _jobIdLength = jobId is null ? NoJobId : LongJobId;
        }
        finally
        {
            _gate.Exit();
        }
    }

    internal void AttachUpstream(EpollSocket upstream) => _upstream = upstream;

    /// <summary>The destination this session holds, once connected.</summary>
    internal UpstreamLease? Upstream { get; set; }

    /// <summary>Whether the destination's active-sessions gauge counts this session.</summary>
    internal bool CountedAtDestination { get; set; }

    /// <summary>
    /// A token for the connect to the destination, cancelled when the session is closed meanwhile. Its source lives
    /// only as long as the connect: a registration on the connection's own <c>ConnectionClosed</c> would leave the
    /// token's registration table behind for the whole session.
    /// </summary>
    internal CancellationToken StartConnecting()
    {
        var source = new CancellationTokenSource();
        Interlocked.Exchange(ref _connecting, source);
        if (Volatile.Read(ref _closing) != 0)
        {
            source.Cancel();
        }

        return source.Token;
    }

    internal void StopConnecting() => Volatile.Write(ref _connecting, null);

    internal void TrackRequest(long id, StratumMethod method)
    {
        _gate.Enter();
        try
        {
            _pending.Add(id, method);
        }
        finally
        {
            _gate.Exit();
        }
    }

    internal StratumMethod MatchResponse(long id)
    {
        _gate.Enter();
        try
        {
            return _pending.Match(id);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Records why the session ends (first reason wins); returns false when it was already closing.</summary>
    internal bool TrySetCloseReason(string reason)
    {
        if (Interlocked.CompareExchange(ref _closing, 1, 0) != 0)
        {
            return false;
        }

        CloseReason = reason;
        return true;
    }

    /// <summary>Closes both sides, recording <paramref name="reason"/> unless another reason came first.</summary>
    public void Abort(string reason)
    {
        TrySetCloseReason(reason);
        if (Volatile.Read(ref _connecting) is { } connecting)
        {
            // Its callbacks (the connect's own cancellation) run on the thread pool, not inside the caller.
            ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), connecting, preferLocal: false);
        }

        _client.Abort(new ConnectionAbortedException(reason));
        if (_upstream is { } upstream)
        {
            // Closing the socket ends both of its directions; a pending receive or send fails and its loop ends.
            upstream.Shutdown();
            upstream.Dispose();
        }
    }

    [System.Runtime.CompilerServices.InlineArray(Capacity)]
    private struct JobIdBytes
    {
        public const int Capacity = 32;

        private byte _first;
    }
}
