using Stratum.Protocol.Framing;
using Stratum.Transport;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Relay;
using StratumProxy.Management;

namespace StratumProxy.Stratum;

public sealed partial class StratumSessionHandler
{
    /// <summary>
    /// Hands the session to a <see cref="LineRelay"/> on the event loop rather than forwarding it through the
    /// connection's pipes (with TLS, once the connection carries the records itself). Null, with nothing done, when
    /// the connection cannot hand its socket over (records left on the runtime's TLS stream, or a transport without
    /// the feature). With <paramref name="earlyNotify"/> the session takes part in its pool node's
    /// <see cref="NotifyBroadcast"/>.
    /// </summary>
    private (LineRelay Relay, RelayedLines Lines)? TryStartRelay(ProxySession session, ILineRelayFeature? feature, EpollSocket upstream, int maxLineBytes, bool earlyNotify)
    {
        if (feature is null)
        {
            return null;
        }

        var follower = earlyNotify && session.Destination is { } destination ? _broadcasts.For(session.Cluster, destination).Follow() : null;
        var lines = new RelayedLines(this, session, maxLineBytes, follower);
        if (feature.TryStartRelay(upstream, lines) is not { } relay)
        {
            return null;
        }

        follower?.Join(relay);
        return (relay, lines);
    }

    /// <summary>Closes a relayed session with the reason the pipe path would give for the same end.</summary>
    private void EndRelay(ProxySession session, RelayedLines lines, RelayEnd end)
    {
        lines.Stop();
        switch (end)
        {
            case RelayEnd.DestinationClosed:
                session.Abort(CloseReasons.DestinationClosed);
                break;
            case RelayEnd.DestinationFailed:
                session.Abort(session.CloseReason ?? CloseReasons.DestinationClosed);
                break;
            case RelayEnd.ClientFailed:
                session.Abort(session.CloseReason ?? CloseReasons.ClientClosed);
                break;
            default:
                if (lines.ClientMalformed is { } malformed)
                {
                    CloseMalformed(session, malformed);
                }
                else
                {
                    session.Abort(CloseReasons.LineTooLong);
                }

                break;
        }
    }

    /// <summary>The relay's handler faulted (a bug): the session closes, the process goes on.</summary>
    private void EndRelay(ProxySession session, RelayedLines lines, Exception fault)
    {
        lines.Stop();
        LogRelayFault(_logger, session.Id, fault);
        session.Abort(CloseReasons.Error);
    }

    [LoggerMessage(EventId = 1304, Level = LogLevel.Error, Message = "Session {SessionId}: forwarding failed.")]
    private static partial void LogRelayFault(ILogger logger, long sessionId, Exception exception);

    /// <summary>
    /// What the relay of one session does with each side's lines: the same inspection as the pipe path, and a pool's
    /// job the miner was sent early is dropped (<paramref name="follower"/>).
    /// </summary>
    private sealed class RelayedLines(StratumSessionHandler owner, ProxySession session, int maxLineBytes, NotifyFollower? follower) : ILineRelayHandler
    {
        private readonly StripedCounter _bytesFromClients = owner._metrics.BytesFromClientsOf(session.Listener);
        private readonly StripedCounter _bytesToClients = owner._metrics.BytesToClientsOf(session.Listener);
        private System.Threading.ITimer? _grace;

        /// <summary>Why the miner's side was closed for its input, when it was.</summary>
        public string? ClientMalformed { get; private set; }

        public int OnReceived(RelaySide from, ReadOnlySpan<byte> data, out int skip, out bool close)
        {
            session.Touch(owner._time.GetTimestamp());
            int complete;
            if (from == RelaySide.Client)
            {
                skip = 0;
                var status = owner.ReadClientLines(session, data, maxLineBytes, out complete, out var malformed);
                if (malformed is not null)
                {
                    ClientMalformed = malformed;
                    close = true;
                    return 0;
                }

                close = status == LineReadStatus.TooLong;
                if (close)
                {
                    ClientMalformed = CloseReasons.LineTooLong;
                }

                if (complete > 0)
                {
                    _bytesFromClients.Add(complete);
                    session.BytesFromClient += complete;
                }
            }
            else
            {
                var remaining = data;
                close = owner.ReadPoolLines(session, ref remaining, maxLineBytes, follower, out skip) == LineReadStatus.TooLong;
                complete = data.Length - remaining.Length;
                // A job dropped here reached the miner earlier: its bytes count, once.
                if (complete > 0)
                {
                    _bytesToClients.Add(complete);
                    session.BytesToClient += complete;
                }
            }

            return complete;
        }

        /// <summary>The miner ended its side: the pool gets a moment to deliver what it has in flight.</summary>
        public void OnClientEnded()
        {
            session.TrySetCloseReason(CloseReasons.ClientClosed);
            _grace = owner._time.CreateTimer(
                static state => ((ProxySession)state!).Abort(CloseReasons.ClientClosed), session, HalfCloseGrace, Timeout.InfiniteTimeSpan);
        }

        /// <summary>The relay ended: no grace timer, no more jobs sent early.</summary>
        public void Stop()
        {
            _grace?.Dispose();
            follower?.Leave();
        }
    }
}
