using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using Stratum.Protocol.JsonRpc;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Persistence;
using StratumPool.VarDiff;

namespace StratumPool.Stratum;

/// <summary>
/// One miner connection: its subscription, workers, difficulty and version-rolling mask, and the answers to
/// its requests. Requests are handled one at a time in arrival order (so replies keep the order of the
/// requests even when every id is the same); pushes from the job broadcast share the writer under a lock.
/// </summary>
public sealed partial class StratumSession
{
    /// <summary>BIP310: the version bits a pool lets miners roll.</summary>
    public const uint PoolVersionRollingMask = 0x1fffe000;

    private readonly StratumServerContext _context;
    private readonly PipeWriter _output;
    private readonly Action<string> _abort;
    private readonly StratumMessageWriter _writer = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<string, string> _workers = new(StringComparer.Ordinal);
    private readonly Lock _difficultyGate = new();
    private readonly ILogger _logger;
    private double _difficulty;
    private double? _previousDifficulty;
    private long _previousDifficultyUntil;
    private double? _pendingDifficulty;
    private bool _difficultySent;
    private double? _suggestedFloor;
    private VarDiffController? _varDiff;
    private uint _extraNonce1;
    private bool _hasExtraNonce;
    private volatile bool _closed;

    public StratumSession(StratumServerContext context, string connectionId, IPEndPoint? remoteEndPoint, PipeWriter output, Action<string> abort)
    {
        _context = context;
        _output = output;
        _abort = abort;
        _logger = context.SessionLogger;
        ConnectionId = connectionId;
        RemoteEndPoint = remoteEndPoint;
        _difficulty = context.Options.Difficulty.Initial;
        ConnectedAt = context.Time.GetTimestamp();
        LastSentAt = ConnectedAt;

        // Created now so that a miner silent from the start is measured from its connection.
        if (context.Options.Difficulty.VarDiff is { } varDiff)
        {
            _varDiff = new VarDiffController(varDiff, context.Time);
        }
    }

    public string ConnectionId { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public long ConnectedAt { get; }

    /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last message sent to the miner.</summary>
    public long LastSentAt { get; private set; }

    public bool IsSubscribed { get; private set; }

    public string? UserAgent { get; private set; }

    public byte[] ExtraNonce1 { get; private set; } = [];

    public string? ExtraNonce1Hex { get; private set; }

    public uint VersionRollingMask { get; private set; }

    /// <summary>Payout of this session's coinbase in <c>Solo</c> mode; null pays the pool's address.</summary>
    public PayoutTarget? Payout { get; private set; }

    /// <summary>The account (address) of the first authorized worker.</summary>
    public string? MinerAddress { get; private set; }

    public int WorkerCount { get; private set; }

    /// <summary>The difficulty shares are currently checked against.</summary>
    public double Difficulty
    {
        get
        {
            lock (_difficultyGate)
            {
                return _difficulty;
            }
        }
    }

    /// <summary>Whether the session is ready to receive jobs (subscribed and authorized).</summary>
    public bool WantsJobs => IsSubscribed && WorkerCount > 0 && !_closed;

    public async ValueTask HandleAsync(StratumRequest request, CancellationToken cancellationToken)
    {
        switch (request.Method)
        {
            case StratumMethod.Submit:
                await HandleSubmitAsync(request, cancellationToken);
                break;
            case StratumMethod.Subscribe:
                await HandleSubscribeAsync(request, cancellationToken);
                break;
            case StratumMethod.Authorize:
                await HandleAuthorizeAsync(request, cancellationToken);
                break;
            case StratumMethod.Configure:
                await HandleConfigureAsync(request, cancellationToken);
                break;
            case StratumMethod.SuggestDifficulty:
                await HandleSuggestDifficultyAsync(request, cancellationToken);
                break;
            case StratumMethod.ExtranonceSubscribe:
                await ReplyAsync(request.Id, true, cancellationToken);
                break;
            default:
                LogUnknownMethod(ConnectionId, Truncate(request.MethodName));
                await ReplyErrorAsync(request.Id, StratumErrorCodes.Other, "Unknown method", cancellationToken);
                break;
        }
    }

    private async ValueTask HandleSubscribeAsync(StratumRequest request, CancellationToken cancellationToken)
    {
        if (!IsSubscribed)
        {
            UserAgent = Truncate(request.Param(0).AsString());
            uint? previous = null;
            if (request.Param(1).AsString() is { Length: 8 } previousId
                && uint.TryParse(previousId, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var parsed))
            {
                previous = parsed;
            }

            _extraNonce1 = _context.ExtraNonces.Allocate(previous);
            _hasExtraNonce = true;
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, _extraNonce1);
            ExtraNonce1 = bytes;
            ExtraNonce1Hex = Convert.ToHexStringLower(bytes);
            IsSubscribed = true;
            LogSubscribed(ConnectionId, UserAgent ?? "", ExtraNonce1Hex, previous.HasValue && previous.Value == _extraNonce1);
        }

        await WriteAsync(
            w => w.WriteSubscribeResult(_output, request.Id, ExtraNonce1Hex!, ExtraNonce1Hex!, _context.Options.ExtraNonce2Size),
            cancellationToken);
        if (WantsJobs && !_difficultySent)
        {
            await SendCurrentJobAsync(cleanJobs: true, cancellationToken);
        }
    }

    private async ValueTask HandleAuthorizeAsync(StratumRequest request, CancellationToken cancellationToken)
    {
        var user = request.Param(0).AsString()?.Trim();
        if (string.IsNullOrEmpty(user) || user.Length > 256)
        {
            await ReplyAuthorizeRefusedAsync(request.Id, "Invalid worker name", cancellationToken);
            return;
        }

        var dot = user.IndexOf('.', StringComparison.Ordinal);
        var account = dot < 0 ? user : user[..dot];
        _context.Network.TryParsePayout(account, out var address);
        if (_context.Options.PaymentMode == PaymentMode.Solo)
        {
            if (address is not { } payout)
            {
                LogAuthorizeRefused(ConnectionId, Truncate(user), "not an address of the network");
                await ReplyAuthorizeRefusedAsync(request.Id, $"Username must be a {_context.Options.Network} address", cancellationToken);
                return;
            }

            if (Payout is not null && Payout.Address != payout.Address)
            {
                await ReplyAuthorizeRefusedAsync(request.Id, "One payout address per connection", cancellationToken);
                return;
            }

            Payout ??= payout;
        }

        if (!_workers.ContainsKey(user))
        {
            _workers[user] = address?.Address ?? account;
            WorkerCount = _workers.Count;
            MinerAddress ??= address?.Address ?? account;
            _context.Metrics.ConnectedWorkers.Inc();
        }

        LogAuthorized(ConnectionId, Truncate(user));
        await ReplyAsync(request.Id, true, cancellationToken);
        if (WantsJobs && !_difficultySent)
        {
            await SendCurrentJobAsync(cleanJobs: true, cancellationToken);
        }
    }

    private ValueTask ReplyAuthorizeRefusedAsync(StratumId id, string message, CancellationToken cancellationToken) =>
        WriteAsync(w => w.WriteRefusal(_output, id, StratumErrorCodes.UnauthorizedWorker, message), cancellationToken);

    private async ValueTask HandleConfigureAsync(StratumRequest request, CancellationToken cancellationToken)
    {
        var extensions = request.Param(0).Items;
        var parameters = request.Param(1).Fields;
        var result = new List<KeyValuePair<string, object>>();
        foreach (var extension in extensions)
        {
            var name = extension.AsString();
            if (name is null)
            {
                continue;
            }

            switch (name)
            {
                case "version-rolling":
                    var requested = 0xffffffffu;
                    if (parameters.TryGetValue("version-rolling.mask", out var maskValue)
                        && maskValue.AsString() is { } maskHex
                        && uint.TryParse(maskHex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var parsedMask))
                    {
                        requested = parsedMask;
                    }

                    VersionRollingMask = requested & PoolVersionRollingMask;
                    result.Add(new("version-rolling", true));
                    result.Add(new("version-rolling.mask", VersionRollingMask.ToString("x8", CultureInfo.InvariantCulture)));
                    break;
                case "minimum-difficulty":
                    if (parameters.TryGetValue("minimum-difficulty.value", out var minimum) && minimum.TryGetDouble(out var value) && value > 0)
                    {
                        ApplySuggestedDifficulty(value);
                        result.Add(new("minimum-difficulty", true));
                    }
                    else
                    {
                        result.Add(new("minimum-difficulty", false));
                    }

                    break;
                default:
                    result.Add(new(Truncate(name)!, false));
                    break;
            }
        }

        await WriteAsync(w => w.WriteConfigureResult(_output, request.Id, result), cancellationToken);
    }

    private async ValueTask HandleSuggestDifficultyAsync(StratumRequest request, CancellationToken cancellationToken)
    {
        if (!request.Param(0).TryGetDouble(out var suggested) || suggested <= 0)
        {
            if (!request.Id.IsNull)
            {
                await ReplyErrorAsync(request.Id, StratumErrorCodes.Other, "Invalid difficulty", cancellationToken);
            }

            return;
        }

        ApplySuggestedDifficulty(suggested);
        if (!request.Id.IsNull)
        {
            await ReplyAsync(request.Id, true, cancellationToken);
        }

        if (WantsJobs && _difficultySent)
        {
            await SendCurrentJobAsync(cleanJobs: false, cancellationToken);
        }
    }

    private void ApplySuggestedDifficulty(double suggested)
    {
        var floor = _context.Options.MinSuggestedDifficulty;
        var ceiling = _context.Options.Difficulty.VarDiff?.MaxDiff ?? double.MaxValue;
        var difficulty = Math.Clamp(suggested, floor, Math.Max(floor, ceiling));
        lock (_difficultyGate)
        {
            _suggestedFloor = difficulty;
            _varDiff = null;
            if (_difficultySent)
            {
                _pendingDifficulty = difficulty;
            }
            else
            {
                _difficulty = difficulty;
            }
        }
    }

    private async ValueTask HandleSubmitAsync(StratumRequest request, CancellationToken cancellationToken)
    {
        if (!IsSubscribed)
        {
            await RejectShareAsync(request.Id, StratumErrorCodes.NotSubscribed, "Not subscribed", cancellationToken);
            return;
        }

        var worker = request.Param(0).AsString();
        if (worker is null || !_workers.TryGetValue(worker, out var account))
        {
            await RejectShareAsync(request.Id, StratumErrorCodes.UnauthorizedWorker, "Unauthorized worker", cancellationToken);
            return;
        }

        var jobId = request.Param(1).AsString();
        var extraNonce2 = request.Param(2).AsString();
        var nTime = request.Param(3).AsString();
        var nonce = request.Param(4).AsString();
        var versionBits = request.Param(5).AsString();
        if (jobId is null || extraNonce2 is null || nTime is null || nonce is null)
        {
            await RejectShareAsync(request.Id, StratumErrorCodes.Other, "Invalid params", cancellationToken);
            return;
        }

        double difficulty;
        double? previous;
        lock (_difficultyGate)
        {
            difficulty = _difficulty;
            previous = _previousDifficulty is { } p && _context.Time.GetTimestamp() <= _previousDifficultyUntil ? p : null;
        }

        var submission = new ShareSubmission(
            worker, jobId, extraNonce2, nTime, nonce, versionBits,
            ExtraNonce1, _context.Options.ExtraNonce2Size, VersionRollingMask,
            difficulty, previous, Payout, RemoteEndPoint?.Address);

        ShareResult result;
        try
        {
            result = await _context.Jobs.ProcessShareAsync(submission, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogShareProcessingFailed(exception, ConnectionId);
            await RejectShareAsync(request.Id, StratumErrorCodes.Other, "Share not processed", cancellationToken);
            return;
        }

        if (result.Block is { } block)
        {
            await RecordBlockAsync(block, worker, account, cancellationToken);
        }

        if (!result.Accepted)
        {
            LogShareRejected(ConnectionId, worker, result.ErrorCode, result.ErrorMessage ?? "");
            await RejectShareAsync(request.Id, result.ErrorCode, result.ErrorMessage ?? "Rejected", cancellationToken);
            return;
        }

        try
        {
            await _context.Shares.AppendAsync(
                new ShareRecord(
                    _context.PoolId, worker, account, result.AcceptedAtDifficulty,
                    _context.Jobs.CurrentJob?.NetworkDifficulty ?? 0, result.Height,
                    _context.Time.GetUtcNow(), RemoteEndPoint?.Address.ToString()),
                cancellationToken);
        }
        catch (ShareNotStoredException)
        {
            _context.Metrics.Shares.WithLabels(["error"]).Inc();
            await ReplyErrorAsync(request.Id, StratumErrorCodes.Other, "Share not recorded, please resubmit later", cancellationToken);
            return;
        }

        _context.Metrics.Shares.WithLabels(["accepted"]).Inc();
        _context.ShareRate.Record(result.AcceptedAtDifficulty);
        await ReplyAsync(request.Id, true, cancellationToken);

        if (OnAcceptedShareForVarDiff() && WantsJobs)
        {
            await SendCurrentJobAsync(cleanJobs: false, cancellationToken);
        }
    }

    private async ValueTask RecordBlockAsync(BlockCandidateResult block, string worker, string account, CancellationToken cancellationToken)
    {
        if (!block.Accepted)
        {
            _context.Metrics.BlocksFound.WithLabels(["rejected"]).Inc();
            LogBlockRejected(block.Height, block.BlockHash, block.RejectReason ?? "");
            return;
        }

        _context.Metrics.BlocksFound.WithLabels(["pending"]).Inc();
        LogBlockFound(block.Height, block.BlockHash, worker);
        try
        {
            await _context.Blocks.AddAsync(
                new BlockRecord(
                    _context.PoolId, block.Height, block.BlockHash, block.Reward, worker, account,
                    _context.Jobs.CurrentJob?.NetworkDifficulty ?? 0, BlockStatus.Pending, 0, _context.Time.GetUtcNow()),
                cancellationToken);
        }
        catch (Exception exception) when (exception is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogBlockNotRecorded(exception, block.Height, block.BlockHash);
        }
    }

    /// <summary>Feeds vardiff; true when a new difficulty is pending and a job must follow it.</summary>
    private bool OnAcceptedShareForVarDiff()
    {
        lock (_difficultyGate)
        {
            var controller = VarDiffLocked();
            var current = _pendingDifficulty ?? _difficulty;
            if (controller?.OnShare(current) is not { } next)
            {
                return false;
            }

            // A share harder than the block is a block: raising a fast miner past the network difficulty
            // (a devnet, a young regtest chain) would turn every share into a block and hide its hash rate.
            var network = _context.Jobs.CurrentJob?.NetworkDifficulty ?? 0;
            if (network > 0 && next > network)
            {
                next = network;
                if (next <= current)
                {
                    return false;
                }
            }

            _pendingDifficulty = next;
            return true;
        }
    }

    /// <summary>Housekeeping: lowers a silent miner's difficulty; true when a job must be sent.</summary>
    public bool CheckIdleVarDiff()
    {
        lock (_difficultyGate)
        {
            if (!_difficultySent || VarDiffLocked()?.OnIdleCheck(_pendingDifficulty ?? _difficulty) is not { } next)
            {
                return false;
            }

            _pendingDifficulty = next;
            return true;
        }
    }

    private VarDiffController? VarDiffLocked()
    {
        if (_varDiff is null && _context.Options.Difficulty.VarDiff is { } options)
        {
            _varDiff = new VarDiffController(options, _context.Time, _suggestedFloor);
        }

        return _varDiff;
    }

    /// <summary>Sends the newest job (with a pending difficulty first) to this session.</summary>
    public ValueTask SendCurrentJobAsync(bool cleanJobs, CancellationToken cancellationToken)
    {
        var job = _context.Jobs.CurrentJob;
        return job is null ? ValueTask.CompletedTask : SendJobAsync(job, cleanJobs, cancellationToken);
    }

    /// <summary>
    /// <c>mining.set_difficulty</c> (when it changed) then <c>mining.notify</c>: miners apply a difficulty only
    /// at the next notify, so the new difficulty is enforced from here, with the old one still accepted for
    /// <c>PreviousDifficultyGrace</c>.
    /// </summary>
    public async ValueTask SendJobAsync(MiningJob job, bool cleanJobs, CancellationToken cancellationToken)
    {
        if (!WantsJobs)
        {
            return;
        }

        NotifyParameters parameters;
        try
        {
            parameters = _context.NotifyCache.Get(job, Payout);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogNotifyFailed(exception, ConnectionId, job.Id);
            return;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            double? sendDifficulty = null;
            lock (_difficultyGate)
            {
                if (!_difficultySent)
                {
                    sendDifficulty = _pendingDifficulty ?? _difficulty;
                    _difficulty = sendDifficulty.Value;
                    _pendingDifficulty = null;
                    _difficultySent = true;
                }
                else if (_pendingDifficulty is { } pending)
                {
                    sendDifficulty = pending;
                    if (pending != _difficulty)
                    {
                        _previousDifficulty = _difficulty;
                        _previousDifficultyUntil = _context.Time.GetTimestamp()
                            + (long)(_context.Options.PreviousDifficultyGrace.TotalSeconds * _context.Time.TimestampFrequency);
                    }

                    _difficulty = pending;
                    _pendingDifficulty = null;
                }
            }

            if (sendDifficulty is { } difficulty)
            {
                _writer.WriteSetDifficulty(_output, difficulty);
            }

            _writer.WriteNotify(_output, parameters, cleanJobs);
            LastSentAt = _context.Time.GetTimestamp();
            await FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Asks the miner to reconnect (sent on shutdown).</summary>
    public async ValueTask SendReconnectAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            _writer.WriteReconnect(_output);
            await FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private ValueTask ReplyAsync(StratumId id, bool result, CancellationToken cancellationToken) =>
        WriteAsync(w => w.WriteResult(_output, id, result), cancellationToken);

    private ValueTask ReplyErrorAsync(StratumId id, int code, string message, CancellationToken cancellationToken) =>
        WriteAsync(w => w.WriteError(_output, id, code, message), cancellationToken);

    private ValueTask RejectShareAsync(StratumId id, int code, string message, CancellationToken cancellationToken)
    {
        _context.Metrics.Shares.WithLabels([Metrics.PoolMetrics.ShareResultLabel(code)]).Inc();
        return ReplyErrorAsync(id, code, message, cancellationToken);
    }

    private async ValueTask WriteAsync(Action<StratumMessageWriter> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            write(_writer);
            LastSentAt = _context.Time.GetTimestamp();
            await FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var flush = await _output.FlushAsync(cancellationToken);
        if (flush.IsCompleted || flush.IsCanceled)
        {
            _closed = true;
        }
    }

    /// <summary>Closes the connection, logging why.</summary>
    public void Abort(string reason)
    {
        _closed = true;
        _abort(reason);
    }

    /// <summary>Releases the session's extranonce and worker count; called once when the connection ends.</summary>
    public void Close()
    {
        _closed = true;
        if (_hasExtraNonce)
        {
            _context.ExtraNonces.Release(_extraNonce1);
            _hasExtraNonce = false;
        }

        if (WorkerCount > 0)
        {
            _context.Metrics.ConnectedWorkers.Dec(WorkerCount);
            WorkerCount = 0;
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 64 } ? text[..64] : text;
}
