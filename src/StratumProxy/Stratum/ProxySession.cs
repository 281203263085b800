using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace StratumProxy.Stratum;

/// <summary>
/// One miner's session as the proxy sees it: who it is (worker, user agent, extranonce), what it mines at
/// (difficulty, job) and how its shares fared. Written by the two forwarding loops, read by the status API.
/// </summary>
public sealed class ProxySession
{
    private static long s_nextId;
    private readonly PendingRequests _pending = new();
    private readonly ConnectionContext _client;
    private Socket? _upstream;
    private long _lastActivity;
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

    public string? JobId { get; internal set; }

    /// <summary>Set once the miner sent its first complete line; until then the handshake timeout applies.</summary>
    public bool HandshakeComplete { get; internal set; }

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
            lock (_pending)
            {
                return _pending.CountOf(StratumMethod.Submit);
            }
        }
    }

    internal void AttachUpstream(Socket upstream) => _upstream = upstream;

    internal void TrackRequest(long id, StratumMethod method)
    {
        lock (_pending)
        {
            _pending.Add(id, method);
        }
    }

    internal StratumMethod MatchResponse(long id)
    {
        lock (_pending)
        {
            return _pending.Match(id);
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
        _client.Abort(new ConnectionAbortedException(reason));
        if (_upstream is { } upstream)
        {
            // Closing the socket ends both of its directions; a pending receive or send fails and its loop ends.
            try
            {
                upstream.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            upstream.Dispose();
        }
    }
}
