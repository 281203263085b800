using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Stratum.Protocol.Framing;
using Stratum.Protocol.ProxyProtocol;
using Stratum.Transport;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Relay;
using StratumProxy.Configuration;
using StratumProxy.Management;
using StratumProxy.ProxyProtocol;

namespace StratumProxy.Stratum;

/// <summary>
/// The end of every listener's pipeline: routes the miner to a destination and forwards whole lines both ways,
/// reading each one on the way to keep the session model current. Bytes are copied from one pipe to the other
/// unchanged; nothing is buffered beyond the pipes' own limits, so a slow side slows the other (backpressure).
/// </summary>
public sealed partial class StratumSessionHandler
{
    /// <summary>After one side closed, how long the other may still deliver what it has in flight.</summary>
    private static readonly TimeSpan HalfCloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>Room asked of the miner's pipe for one receive beyond a carried partial line.</summary>
    private const int MinimumReceive = 512;

    private readonly ProxyConfigState _config;
    private readonly IUpstreamConnector _connector;
    private readonly SessionRegistry _registry;
    private readonly ShareAccounting _shares;
    private readonly NotifyBroadcasts _broadcasts;
    private readonly ProxyMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<StratumSessionHandler> _logger;
    private readonly ILogger _accessLog;

    public StratumSessionHandler(
        ProxyConfigState config,
        IUpstreamConnector connector,
        SessionRegistry registry,
        ShareAccounting shares,
        NotifyBroadcasts broadcasts,
        ProxyMetrics metrics,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        _config = config;
        _connector = connector;
        _registry = registry;
        _shares = shares;
        _broadcasts = broadcasts;
        _metrics = metrics;
        _time = time;
        _logger = loggerFactory.CreateLogger<StratumSessionHandler>();
        _accessLog = loggerFactory.CreateLogger("StratumProxy.AccessLog");
    }

    /// <summary>
    /// The session's life: connect a destination, forward both ways, account for the end. This one awaiting
    /// method, the pool-to-miner loop and Kestrel's own are all an idle session keeps of the call chain: the
    /// connect runs in a method of its own (its state is garbage once connected), the miner-to-pool loop runs here,
    /// and what a line needs is passed to synchronous helpers, so only a few fields live across the awaits.
    /// </summary>
    public async Task OnConnectedAsync(ConnectionContext client, string listenerName)
    {
        var options = _config.Current;
        if (!options.Listeners.TryGetValue(listenerName, out var listener)
            || listener.Cluster is null
            || !options.Clusters.TryGetValue(listener.Cluster, out var cluster))
        {
            client.Abort();
            return;
        }

        var session = new ProxySession(listenerName, listener.Cluster, client, client.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0), _time.GetUtcNow(), _time.GetTimestamp());
        _registry.Add(session);
        _metrics.SessionsTotal.WithLabels([listenerName]).Inc();
        _metrics.SessionsActive.WithLabels([listenerName]).Inc();
        var maxLineBytes = options.Limits.MaxLineBytes;
        try
        {
            var upstream = await ConnectAsync(session, client, options.Limits, cluster);
            if (upstream is null)
            {
                return;
            }

            // Awaited here rather than in a method of its own: an idle session keeps one suspended method, not two.
            if (TryStartRelay(session, client.Features.Get<ILineRelayFeature>(), upstream, maxLineBytes, cluster.EarlyNotify) is var (relay, lines))
            {
                RelayEnd end;
                try
                {
                    end = await relay.Completion;
                }
                catch (Exception ex)
                {
                    EndRelay(session, lines, ex);
                    return;
                }

                EndRelay(session, lines, end);
                ReportEarlyClose(session);
                return;
            }

            var toClient = DestinationToClientAsync(session, upstream, client.Transport.Output, maxLineBytes);
            var input = client.Transport.Input;
            var listenerBytes = _metrics.BytesFromClientsOf(listenerName);
            string? ended;
            try
            {
                do
                {
                    var result = await input.ReadAsync();
                    ended = await OnClientDataAsync(session, input, upstream, result, maxLineBytes, listenerBytes);
                }
                while (ended is null);
            }
            catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException or InvalidOperationException)
            {
                ended = session.CloseReason ?? CloseReasons.ClientClosed;
            }

            await EndForwardingAsync(session, toClient, ended);
            ReportEarlyClose(session);
        }
        catch (OperationCanceledException)
        {
            session.TrySetCloseReason(client.ConnectionClosed.IsCancellationRequested ? CloseReasons.ClientClosed : CloseReasons.NoDestination);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException)
        {
            session.TrySetCloseReason(CloseReasons.Error);
            LogSessionError(_logger, session.Id, ex.Message);
        }
        finally
        {
            _registry.Remove(session);
            _metrics.SessionsActive.WithLabels([listenerName]).Dec();
            session.TrySetCloseReason(CloseReasons.ClientClosed);
            if (session.Upstream is { } lease)
            {
                if (session.CountedAtDestination)
                {
                    _metrics.DestinationSessionsActive.WithLabels([session.Cluster, lease.Destination]).Dec();
                }

                lease.Dispose();
            }

            Finish(session);
        }
    }

    /// <summary>A pool that closed before it answered anything counts against it (passive health).</summary>
    private static void ReportEarlyClose(ProxySession session)
    {
        if (!session.DestinationAnswered && session.CloseReason == CloseReasons.DestinationClosed && session.BytesFromClient > 0)
        {
            session.Upstream?.ReportEarlyClose();
        }
    }

    /// <summary>
    /// Chooses and connects the destination (after the worker's <c>mining.authorize</c> when the cluster hashes by
    /// worker), sends the PROXY header and the lines read while waiting; null when the session ended meanwhile.
    /// </summary>
    private async ValueTask<EpollSocket?> ConnectAsync(ProxySession session, ConnectionContext client, LimitsOptions limits, ClusterOptions cluster)
    {
        string? worker = null;
        byte[]? replay = null;
        if (cluster.HashKey == HashKeyKind.Worker)
        {
            (worker, replay) = await WaitForWorkerAsync(session, client.Transport.Input, limits, cluster);
            if (session.CloseReason is not null)
            {
                return null;
            }
        }

        // The connector keeps the cluster's ConnectTimeout budget itself; this token only says the session closed.
        UpstreamLease? lease;
        try
        {
            lease = await _connector.ConnectAsync(session.Cluster, session.ClientEndPoint.Address, worker, session.StartConnecting());
        }
        finally
        {
            session.StopConnecting();
        }

        if (lease is null)
        {
            _metrics.RejectedConnections.WithLabels([session.Listener, RejectReasons.NoDestination]).Inc();
            session.Abort(CloseReasons.NoDestination);
            return null;
        }

        session.Destination = lease.Destination;
        session.Upstream = lease;
        // Against the drain's end, which sets its flag and then walks the sessions: one of the two sees the other.
        Interlocked.MemoryBarrier();
        if (lease.DrainExpired)
        {
            session.Abort(CloseReasons.Drained);
            return null;
        }

        var upstream = lease.Socket;
        if (client.Features.Get<IEpollSocketFeature>() is { } miner)
        {
            upstream.MoveToLoopOf(miner.Socket);
        }

        session.AttachUpstream(upstream);
        if (session.CloseReason is not null)
        {
            return null;
        }

        _metrics.DestinationSessionsTotal.WithLabels([session.Cluster, lease.Destination]).Inc();
        _metrics.DestinationSessionsActive.WithLabels([session.Cluster, lease.Destination]).Inc();
        session.CountedAtDestination = true;
        if (cluster.ProxyProtocol != ProxyProtocolVersion.None)
        {
            await WriteProxyHeaderAsync(client, session.ClientEndPoint, upstream, cluster.ProxyProtocol);
        }

        if (replay is { Length: > 0 })
        {
            await ReplayAsync(session, replay, upstream);
        }

        return upstream;
    }

    private async Task<(string? Worker, byte[]? Replay)> WaitForWorkerAsync(ProxySession session, PipeReader input, LimitsOptions limits, ClusterOptions cluster)
    {
        // Worker routing needs mining.authorize, but miners that wait for their subscribe answer first would wait
        // forever: after a short quiet period the session falls back to the client address. The wait ends with
        // CancelPendingRead; the complete lines read so far are taken out of the pipe and replayed to the destination.
        var wait = cluster.WorkerRoutingWait < limits.HandshakeTimeout ? cluster.WorkerRoutingWait : limits.HandshakeTimeout;
        var deadline = _time.GetTimestamp() + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        var cap = Math.Max(limits.MaxLineBytes, 4096) * 4;
        while (true)
        {
            var remaining = TimeSpan.FromSeconds((deadline - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
            var read = input.ReadAsync();
            ReadResult result;
            if (read.IsCompleted || remaining <= TimeSpan.Zero)
            {
                if (!read.IsCompleted)
                {
                    input.CancelPendingRead();
                }

                result = await read;
            }
            else
            {
                var pending = read.AsTask();
                using var timer = new CancellationTokenSource(remaining, _time);
                var finished = await Task.WhenAny(pending, Task.Delay(Timeout.InfiniteTimeSpan, timer.Token).ContinueWith(static _ => { }, TaskScheduler.Default));
                if (finished != pending)
                {
                    input.CancelPendingRead();
                }

                result = await pending;
            }

            var buffer = result.Buffer;
            var scan = buffer;
            LineReadStatus status;
            while ((status = StratumLineReader.TryReadLine(ref scan, limits.MaxLineBytes, out var line)) == LineReadStatus.Line)
            {
                if (line.IsEmpty)
                {
                    continue;
                }

                if (!StratumMessageInspector.TryInspect(line, out var message))
                {
                    input.AdvanceTo(buffer.Start);
                    CloseMalformed(session, CloseReasons.InvalidJson);
                    return (null, null);
                }

                session.HandshakeComplete = true;
                if (message.Method == StratumMethod.Authorize)
                {
                    // Nothing consumed and nothing examined: the forwarding loop starts from the first byte.
                    input.AdvanceTo(buffer.Start);
                    return (StratumMessageInspector.ReadParamString(line, 0), null);
                }
            }

            if (status == LineReadStatus.TooLong || buffer.Length > cap)
            {
                input.AdvanceTo(buffer.Start);
                CloseMalformed(session, CloseReasons.LineTooLong);
                return (null, null);
            }

            if (result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                session.Abort(CloseReasons.ClientClosed);
                return (null, null);
            }

            if (result.IsCanceled)
            {
                // Complete lines leave the pipe for the replay; a partial line stays, examined, until the rest arrives.
                var complete = buffer.Slice(buffer.Start, scan.Start);
                var replay = complete.ToArray();
                input.AdvanceTo(scan.Start, buffer.End);
                LogWorkerRoutingFallback(_logger, session.Id);
                return (null, replay);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async ValueTask WriteProxyHeaderAsync(ConnectionContext client, IPEndPoint source, EpollSocket destinationSocket, ProxyProtocolVersion version)
    {
        var destination = client.Features.Get<IProxyProtocolFeature>()?.OriginalDestination
            ?? client.LocalEndPoint as IPEndPoint
            ?? new IPEndPoint(IPAddress.Loopback, 0);
        var header = new ArrayBufferWriter<byte>(256);
        if (version == ProxyProtocolVersion.V1)
        {
            ProxyProtocolWriter.WriteV1(header, source, destination);
        }
        else
        {
            ProxyProtocolWriter.WriteV2(header, source, destination);
        }

        await destinationSocket.SendAsync(header.WrittenMemory);
    }

    /// <summary>Sends the lines read while waiting for the worker, after the session model has seen them.</summary>
    private async ValueTask ReplayAsync(ProxySession session, byte[] replay, EpollSocket destination)
    {
        var remaining = new ReadOnlySequence<byte>(replay);
        while (StratumLineReader.TryReadLine(ref remaining, int.MaxValue, out var line) == LineReadStatus.Line)
        {
            OnClientLine(session, line);
        }

        await destination.SendAsync(replay);
        session.BytesFromClient += replay.Length;
    }

    /// <summary>
    /// One read of the miner's direction: frames and inspects the complete lines, sends them from the pipe's own
    /// buffers to the destination, and advances the pipe only once the socket took them (backpressure). Null to
    /// go on reading, else why this direction ended; completes at once unless the destination's socket is full.
    /// </summary>
    private ValueTask<string?> OnClientDataAsync(ProxySession session, PipeReader input, EpollSocket destination, ReadResult result, int maxLineBytes, StripedCounter listenerBytes)
    {
        var buffer = result.Buffer;
        session.Touch(_time.GetTimestamp());
        var status = ReadClientLines(session, buffer, maxLineBytes, out var complete, out var malformed);
        if (malformed is not null)
        {
            input.AdvanceTo(buffer.Start, buffer.End);
            CloseMalformed(session, malformed);
            return new ValueTask<string?>(malformed);
        }

        if (complete.Length > 0)
        {
            var send = SendAsync(destination, complete);
            if (!send.IsCompletedSuccessfully)
            {
                return AfterSendAsync(send, session, input, destination, result, complete, status, listenerBytes);
            }

            if (!send.Result)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                return new ValueTask<string?>(session.CloseReason ?? CloseReasons.DestinationClosed);
            }
        }

        return new ValueTask<string?>(AfterSend(session, input, destination, result, complete, status, listenerBytes));
    }

    private async ValueTask<string?> AfterSendAsync(
        ValueTask<bool> send, ProxySession session, PipeReader input, EpollSocket destination, ReadResult result, ReadOnlySequence<byte> sent, LineReadStatus status, StripedCounter listenerBytes)
    {
        if (!await send)
        {
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            return session.CloseReason ?? CloseReasons.DestinationClosed;
        }

        return AfterSend(session, input, destination, result, sent, status, listenerBytes);
    }

    /// <summary>What is left of a read once its complete lines are sent: advance, count, and see whether it ended.</summary>
    private string? AfterSend(ProxySession session, PipeReader input, EpollSocket destination, in ReadResult result, in ReadOnlySequence<byte> sent, LineReadStatus status, StripedCounter listenerBytes)
    {
        var length = sent.Length;
        input.AdvanceTo(sent.End, result.Buffer.End);
        if (status == LineReadStatus.TooLong)
        {
            CloseMalformed(session, CloseReasons.LineTooLong);
            return CloseReasons.LineTooLong;
        }

        if (length > 0)
        {
            listenerBytes.Add(length);
            session.BytesFromClient += length;
        }

        // A canceled read is left over from the worker-routing wait, not an end of stream.
        if (result.IsCompleted)
        {
            ShutdownSend(destination);
            return CloseReasons.ClientClosed;
        }

        return null;
    }

    /// <summary>
    /// After the miner's direction ended: when the pool's side ended first it recorded why and closed the miner's
    /// connection, which ended the miner's direction. Otherwise a clean end of the miner's side is passed on as a
    /// half-close; the pool gets a moment to deliver what it has in flight, then both sides close together.
    /// </summary>
    private async Task EndForwardingAsync(ProxySession session, Task toClient, string ended)
    {
        if (toClient.IsCompleted)
        {
            await toClient;
            return;
        }

        session.TrySetCloseReason(ended);
        if (ended is CloseReasons.ClientClosed or CloseReasons.DestinationClosed)
        {
            using var grace = new CancellationTokenSource(HalfCloseGrace, _time);
            var completed = await Task.WhenAny(toClient, Task.Delay(Timeout.InfiniteTimeSpan, grace.Token).ContinueWith(static _ => { }, TaskScheduler.Default));
            if (completed != toClient)
            {
                session.Abort(ended);
            }
        }
        else
        {
            session.Abort(ended);
        }

        await toClient;
    }

    /// <summary>
    /// Frames and inspects the complete lines at the start of <paramref name="buffer"/>: <paramref name="complete"/>
    /// is what may be sent on, <paramref name="malformed"/> the close reason when a line is not acceptable.
    /// </summary>
    private LineReadStatus ReadClientLines(ProxySession session, in ReadOnlySequence<byte> buffer, int maxLineBytes, out ReadOnlySequence<byte> complete, out string? malformed)
    {
        if (buffer.IsSingleSegment)
        {
            var singleStatus = ReadClientLines(session, buffer.FirstSpan, maxLineBytes, out var length, out malformed);
            complete = buffer.Slice(0, length);
            return singleStatus;
        }

        var remaining = buffer;
        LineReadStatus status;
        while ((status = StratumLineReader.TryReadLine(ref remaining, maxLineBytes, out var line)) == LineReadStatus.Line)
        {
            malformed = OnClientLine(session, line);
            if (malformed is not null)
            {
                complete = default;
                return status;
            }
        }

        malformed = null;
        complete = buffer.Slice(buffer.Start, remaining.Start);
        return status;
    }

    /// <summary>As the overload for sequences, on contiguous bytes: <paramref name="complete"/> is how many may be sent on.</summary>
    private LineReadStatus ReadClientLines(ProxySession session, ReadOnlySpan<byte> buffer, int maxLineBytes, out int complete, out string? malformed)
    {
        var remaining = buffer;
        LineReadStatus status;
        while ((status = StratumLineReader.TryReadLine(ref remaining, maxLineBytes, out var line)) == LineReadStatus.Line)
        {
            malformed = OnClientLine(session, line);
            if (malformed is not null)
            {
                complete = 0;
                return status;
            }
        }

        malformed = null;
        complete = buffer.Length - remaining.Length;
        return status;
    }

    /// <summary>
    /// Frames and inspects the complete pool lines at the start of <paramref name="remaining"/>, which is left at the
    /// first byte not framed. The pool's lines are passed on whatever they hold, except that with a
    /// <paramref name="follower"/> the jobs the miner was sent early, at the start, are counted in
    /// <paramref name="skip"/> for the relay to drop (see <see cref="NotifyBroadcast"/>).
    /// </summary>
    private LineReadStatus ReadPoolLines(ProxySession session, ref ReadOnlySpan<byte> remaining, int maxLineBytes, NotifyFollower? follower, out int skip)
    {
        skip = 0;
        var framed = 0;
        while (true)
        {
            var rest = remaining;
            var status = StratumLineReader.TryReadLine(ref remaining, maxLineBytes, out var line);
            if (status != LineReadStatus.Line)
            {
                return status;
            }

            var method = OnDestinationLine(session, line);
            var length = rest.Length - remaining.Length;
            if (follower is not null)
            {
                if (method == StratumMethod.Notify)
                {
                    if (follower.OnOwnNotify(rest[..length], canDrop: skip == framed))
                    {
                        skip = framed + length;
                    }
                }
                else if (method != StratumMethod.None)
                {
                    follower.OtherLineSince = true;
                }
            }

            framed += length;
        }
    }

    /// <summary>
    /// Pool to miner, without a pipe of its own: the socket's event says data is there (an idle session holds no
    /// buffer), then the bytes are received straight into the miner's output pipe, framed and inspected there, and
    /// only whole lines are committed. A line cut by the receive is kept aside until its end arrives. The pool's
    /// end of stream ends the miner's output, which closes the miner's connection; any other end closes the
    /// session, so the miner's direction in <see cref="OnConnectedAsync"/> ends too. Either way the close reason is
    /// recorded first.
    /// </summary>
    private async Task DestinationToClientAsync(ProxySession session, EpollSocket destination, PipeWriter output, int maxLineBytes)
    {
        var listenerBytes = _metrics.BytesToClientsOf(session.Listener);
        var partial = new PartialLine();
        string reason;
        try
        {
            while (true)
            {
                await destination.WaitReadableAsync();
                var memory = output.GetMemory(partial.Length + MinimumReceive);
                var carried = partial.MoveTo(memory.Span);
                var received = destination.Receive(memory.Span[carried..], out var error);
                if (received < 0)
                {
                    if (error != SocketError.WouldBlock)
                    {
                        throw destination.ToException(error);
                    }

                    // The event was for something already received: the carried tail waits for the next one.
                    if (carried > 0)
                    {
                        partial.Keep(memory.Span[..carried]);
                    }

                    continue;
                }

                session.Touch(_time.GetTimestamp());
                if (received == 0)
                {
                    // End of stream: the complete lines are delivered; an unterminated tail is dropped. The reason
                    // is set first: ending the output closes the miner's connection, which ends the other loop too.
                    session.TrySetCloseReason(CloseReasons.DestinationClosed);
                    output.Advance(0);
                    await output.CompleteAsync();
                    return;
                }

                ReadOnlySpan<byte> data = memory.Span[..(carried + received)];
                var remaining = data;
                var status = ReadPoolLines(session, ref remaining, maxLineBytes, follower: null, out _);
                var length = data.Length - remaining.Length;
                if (status == LineReadStatus.NeedMoreData && !remaining.IsEmpty)
                {
                    partial.Keep(remaining);
                }

                output.Advance(length);
                if (length > 0)
                {
                    listenerBytes.Add(length);
                    session.BytesToClient += length;
                    var flush = await output.FlushAsync();
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        reason = CloseReasons.ClientClosed;
                        break;
                    }
                }

                if (status == LineReadStatus.TooLong)
                {
                    reason = CloseReasons.LineTooLong;
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            reason = session.CloseReason ?? CloseReasons.DestinationClosed;
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException or InvalidOperationException)
        {
            reason = session.CloseReason ?? CloseReasons.ClientClosed;
        }
        finally
        {
            partial.Dispose();
        }

        session.Abort(reason);
    }

    /// <summary>Sends every segment; false when the destination is gone.</summary>
    private static async ValueTask<bool> SendAsync(EpollSocket destination, ReadOnlySequence<byte> data)
    {
        try
        {
            if (data.IsSingleSegment)
            {
                await destination.SendAsync(data.First);
                return true;
            }

            foreach (var segment in data)
            {
                await destination.SendAsync(segment);
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private static void ShutdownSend(EpollSocket destination) => destination.ShutdownSend();

    private string? OnClientLine(ProxySession session, in ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            return OnClientLine(session, line.FirstSpan);
        }

        // A line split across the pipe's segments (rare): inspected from one copy.
        var length = (int)line.Length;
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(copy);
            return OnClientLine(session, copy.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private string? OnClientLine(ProxySession session, ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            return null;
        }

        if (!StratumMessageInspector.TryInspect(line, out var message))
        {
            return CloseReasons.InvalidJson;
        }

        session.HandshakeComplete = true;
        switch (message.Method)
        {
            case StratumMethod.Submit:
                if (message.HasId)
                {
                    session.TrackRequest(message.IdKey, StratumMethod.Submit);
                }

                break;
            case StratumMethod.Authorize:
                session.Worker = StratumMessageInspector.ReadParamString(line, 0) ?? session.Worker;
                TrackIfRequest(session, message);
                break;
            case StratumMethod.Subscribe:
                session.UserAgent ??= StratumMessageInspector.ReadParamString(line, 0);
                TrackIfRequest(session, message);
                break;
            case StratumMethod.Configure:
                TrackIfRequest(session, message);
                break;
        }

        return null;
    }

    private static void TrackIfRequest(ProxySession session, in StratumMessage message)
    {
        if (message.HasId)
        {
            session.TrackRequest(message.IdKey, message.Method);
        }
    }

    /// <summary>Takes note of what a pool's line says; its method, <see cref="StratumMethod.None"/> for a reply or an unreadable line.</summary>
    private StratumMethod OnDestinationLine(ProxySession session, ReadOnlySpan<byte> line)
    {
        session.DestinationAnswered = true;
        if (line.IsEmpty || !StratumMessageInspector.TryInspectPoolLine(line, out var message, out var firstParam))
        {
            // The pool's lines are passed on as they are; judging them is the miner's business.
            return StratumMethod.None;
        }

        switch (message.Method)
        {
            case StratumMethod.None when message.HasId:
                switch (session.MatchResponse(message.IdKey))
                {
                    case StratumMethod.Submit:
                        _shares.OnShareAnswered(session, message.ResultIsTrue && !message.HasError);
                        break;
                    case StratumMethod.Subscribe when !message.HasError:
                        session.ExtraNonce1 = StratumMessageInspector.ReadResultString(line, 1);
                        break;
                    case StratumMethod.Configure when !message.HasError:
                        session.VersionRolling = true;
                        break;
                }

                break;
            case StratumMethod.SetDifficulty:
                session.Difficulty = StratumMessageInspector.ReadParamNumber(line, 0) ?? session.Difficulty;
                break;
            case StratumMethod.Notify:
                if (firstParam.IsEmpty)
                {
                    session.SetJobId(StratumMessageInspector.ReadParamString(line, 0));
                }
                else
                {
                    session.SetJobId(firstParam);
                }

                break;
            case StratumMethod.SetExtranonce:
                session.ExtraNonce1 = StratumMessageInspector.ReadParamString(line, 0) ?? session.ExtraNonce1;
                break;
        }

        return message.Method;
    }

    private void CloseMalformed(ProxySession session, string reason)
    {
        _metrics.RejectedConnections.WithLabels([session.Listener, reason]).Inc();
        LogMalformed(_logger, session.Id, session.ClientEndPoint, reason);
        _shares.OnMalformedLine(session);
        session.Abort(reason);
    }

    private void Finish(ProxySession session)
    {
        var duration = _time.GetUtcNow() - session.StartedAt;
        _metrics.SessionDuration.WithLabels([session.Listener]).Observe(duration.TotalSeconds);
        _metrics.SessionsClosed.WithLabels([session.Listener, session.CloseReason ?? CloseReasons.ClientClosed]).Inc();
        LogAccess(
            _accessLog,
            session.ClientEndPoint,
            session.Listener,
            session.Destination ?? "-",
            session.Worker ?? "-",
            duration.TotalSeconds,
            session.BytesFromClient,
            session.BytesToClient,
            session.SharesAccepted,
            session.SharesRejected,
            session.CloseReason ?? CloseReasons.ClientClosed);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "session client={Client} listener={Listener} destination={Destination} worker={Worker} duration={DurationSeconds:F3}s bytes_in={BytesFromClient} bytes_out={BytesToClient} accepted={Accepted} rejected={Rejected} reason={Reason}")]
    private static partial void LogAccess(ILogger logger, IPEndPoint client, string listener, string destination, string worker, double durationSeconds, long bytesFromClient, long bytesToClient, long accepted, long rejected, string reason);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Session {SessionId} from {Client} closed: {Reason}.")]
    private static partial void LogMalformed(ILogger logger, long sessionId, IPEndPoint client, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "Session {SessionId} ended with an I/O error: {Error}")]
    private static partial void LogSessionError(ILogger logger, long sessionId, string error);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Session {SessionId}: no mining.authorize before the worker-routing wait; routing by client address.")]
    private static partial void LogWorkerRoutingFallback(ILogger logger, long sessionId);
}
