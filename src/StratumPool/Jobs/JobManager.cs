using Stratum.Protocol.JsonRpc;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Hosting;
using StratumPool.Shares;

namespace StratumPool.Jobs;

/// <summary>
/// Polls the daemon for new blocks, builds jobs from its templates, keeps the recent jobs valid for shares, validates
/// shares and submits the blocks they solve. Runs as a hosted service; the Stratum side talks to it as <see cref="IJobManager"/>.
/// </summary>
public sealed partial class JobManager : BackgroundService, IJobManager
{
    private const int MaxStaleIds = 256;

    private readonly PoolOptions _options;
    private readonly DaemonClient _daemon;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly JobFactory _factory;
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private volatile JobBook _book = JobBook.Empty;
    private volatile NetworkStatus _network = new(0, 0, null, null, false);
    private long _jobCounter;

    public JobManager(PoolOptions options, DaemonClient daemon, TimeProvider time, ILogger<JobManager> logger)
    {
        var errors = PoolOptionsValidator.CollectChain(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid pool chain options: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _daemon = daemon;
        _time = time;
        _logger = logger;
        Parameters = ChainNetworkParameters.For(options.Network);
        PoolPayout = Parameters.ResolvePoolPayout(options.Address);
        _factory = new JobFactory(options.CoinbaseTag, ExtraNonce1Size + options.ExtraNonce2Size, PoolPayout);
        _jobCounter = time.GetUtcNow().ToUnixTimeSeconds() & 0xffff;
    }

    /// <summary>Bytes of extranonce1 given to each session.</summary>
    public const int ExtraNonce1Size = 4;

    public event Action<JobBroadcast>? JobBroadcast;

    public MiningJob? CurrentJob => _book.Current;

    public NetworkStatus Network => _network;

    /// <summary>The pool's payout (configured address, or the devnet address).</summary>
    public PayoutTarget PoolPayout { get; }

    /// <summary>Address parsing for the configured network (for <c>mining.authorize</c>).</summary>
    public ChainNetworkParameters Parameters { get; }

    /// <summary>Bytes of extranonce2 miners roll (4 or 8).</summary>
    public int ExtraNonce2Size => _options.ExtraNonce2Size;

    public NotifyParameters GetNotifyParameters(MiningJob job, PayoutTarget? payout) =>
        AsBlockJob(job).GetCoinbase(EffectivePayout(payout)).Notify;

    public ValueTask<ShareResult> ProcessShareAsync(ShareSubmission submission, CancellationToken cancellationToken)
    {
        var book = _book;
        if (!book.Jobs.TryGetValue(submission.JobId, out var job))
        {
            return ValueTask.FromResult(book.StaleIds.Contains(submission.JobId)
                ? ShareResult.Reject(StratumErrorCodes.JobNotFound, "stale job")
                : ShareResult.Reject(StratumErrorCodes.JobNotFound, "job not found"));
        }

        var verdict = ShareValidator.Validate(job, job.GetCoinbase(EffectivePayout(submission.Payout)), submission, _time.GetUtcNow().ToUnixTimeSeconds());
        if (!verdict.Accepted)
        {
            return ValueTask.FromResult(new ShareResult(false, verdict.ErrorCode, verdict.Message, verdict.ShareDifficulty, 0, job.Height, null));
        }

        if (verdict.Block is null)
        {
            return ValueTask.FromResult(new ShareResult(true, 0, null, verdict.ShareDifficulty, verdict.AcceptedAtDifficulty, job.Height, null));
        }

        return SubmitAndReportAsync(job, verdict, submission.Worker, cancellationToken);
    }

    /// <summary>
    /// Asks the daemon for the best block and builds a new job when it changed, when the current job is older than
    /// <see cref="PoolOptions.JobRebroadcastTimeout"/>, or when <paramref name="force"/> is set. True when a job was published.
    /// </summary>
    public async Task<bool> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var current = _book.Current;
            if (current is not null && !force)
            {
                var best = await _daemon.GetBestBlockHashAsync(cancellationToken);
                var sameBlock = string.Equals(best, current.PreviousBlockHash, StringComparison.OrdinalIgnoreCase);
                if (sameBlock && now - current.CreatedAt < _options.JobRebroadcastTimeout)
                {
                    _network = _network with { Connected = true };
                    return false;
                }
            }

            var template = await _daemon.GetBlockTemplateAsync(cancellationToken);
            var job = _factory.Create(template, NextJobId(), now);
            var newBlock = current is null || !string.Equals(template.PreviousBlockHash, current.PreviousBlockHash, StringComparison.OrdinalIgnoreCase);
            _book = _book.With(job, newBlock, _options.MaxRecentJobs);
            _network = new NetworkStatus(template.Height - 1, job.NetworkDifficulty, template.PreviousBlockHash, now, true);
            LogNewJob(_logger, job.Id, job.Height, newBlock, template.Transactions.Length);
            Broadcast(new JobBroadcast(job, newBlock));
            return true;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.BlockRefreshInterval, _time);
        // A node that is down fails every tick: warn on the first failure and then about once a minute, not every second.
        var warnEvery = Math.Max(1, (int)(TimeSpan.FromMinutes(1) / _options.BlockRefreshInterval));
        var failures = 0;
        do
        {
            try
            {
                await RefreshAsync(force: false, stoppingToken);
                if (failures > 0)
                {
                    LogRefreshRecovered(_logger, failures);
                    failures = 0;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _network = _network with { Connected = false };
                if (failures++ % warnEvery == 0)
                {
                    LogRefreshFailing(_logger, ex.Message, failures);
                }
                else
                {
                    LogRefreshFailedAgain(_logger, ex.Message);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override void Dispose()
    {
        _refreshLock.Dispose();
        base.Dispose();
    }

    private void Broadcast(JobBroadcast broadcast)
    {
        var handlers = JobBroadcast;
        if (handlers is null)
        {
            return;
        }

        // One failing subscriber must neither stop the others nor make the refresh look failed.
        foreach (var handler in handlers.GetInvocationList().Cast<Action<JobBroadcast>>())
        {
            try
            {
                handler(broadcast);
            }
            catch (Exception ex)
            {
                LogBroadcastHandlerFailed(_logger, broadcast.Job.Id, ex);
            }
        }
    }

    private async ValueTask<ShareResult> SubmitAndReportAsync(BlockJob job, ShareVerdict verdict, string worker, CancellationToken cancellationToken)
    {
        var block = await SubmitBlockAsync(job, verdict.Block!, worker, cancellationToken);
        return new ShareResult(true, 0, null, verdict.ShareDifficulty, verdict.AcceptedAtDifficulty, job.Height, block);
    }

    private async Task<BlockCandidateResult> SubmitBlockAsync(BlockJob job, BlockSolution solution, string worker, CancellationToken cancellationToken)
    {
        var hash = solution.BlockHash;
        var hex = Convert.ToHexStringLower(BlockAssembler.Assemble(job, solution));
        string? reason;
        try
        {
            reason = await _daemon.SubmitBlockAsync(hex, cancellationToken);
            if (reason is null or "inconclusive" or "duplicate")
            {
                // Confirm with the daemon: on the tip, or at least known (bcoin answers null for a side-chain block).
                var best = await _daemon.GetBestBlockHashAsync(cancellationToken);
                if (!string.Equals(best, hash, StringComparison.OrdinalIgnoreCase)
                    && await _daemon.GetBlockAsync(hash, cancellationToken) is null)
                {
                    reason ??= "block unknown to the daemon after submitblock";
                }
                else
                {
                    reason = null;
                }
            }
        }
        catch (Exception ex) when (ex is DaemonUnavailableException or DaemonRpcException or HttpRequestException)
        {
            reason = "submit failed: " + ex.Message;
        }

        var accepted = reason is null;
        if (accepted)
        {
            LogBlockAccepted(_logger, job.Height, hash, worker);
            _ = Task.Run(() => RefreshAfterBlockAsync(), CancellationToken.None);
        }
        else
        {
            LogBlockRejected(_logger, job.Height, hash, worker, reason!);
        }

        return new BlockCandidateResult(hash, job.Height, job.CoinbaseValue, accepted, reason);
    }

    private async Task RefreshAfterBlockAsync()
    {
        try
        {
            await RefreshAsync(force: false, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogRefreshFailed(_logger, ex.Message);
        }
    }

    private PayoutTarget? EffectivePayout(PayoutTarget? payout) => _options.PaymentMode == PaymentMode.Solo ? payout : null;

    private static BlockJob AsBlockJob(MiningJob job) =>
        job as BlockJob ?? throw new ArgumentException("The job was not created by this job manager.", nameof(job));

    private string NextJobId() => Interlocked.Increment(ref _jobCounter).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The jobs valid for shares (all of the current block) and the ids recently made stale.</summary>
    private sealed class JobBook
    {
        public static readonly JobBook Empty = new(null, new Dictionary<string, BlockJob>(StringComparer.Ordinal), [], new HashSet<string>(StringComparer.Ordinal));

        private readonly string[] _order;
        private readonly string[] _staleOrder;

        private JobBook(BlockJob? current, Dictionary<string, BlockJob> jobs, string[] order, HashSet<string> staleIds, string[]? staleOrder = null)
        {
            Current = current;
            Jobs = jobs;
            _order = order;
            StaleIds = staleIds;
            _staleOrder = staleOrder ?? [];
        }

        public BlockJob? Current { get; }

        public Dictionary<string, BlockJob> Jobs { get; }

        public HashSet<string> StaleIds { get; }

        public JobBook With(BlockJob job, bool newBlock, int maxJobs)
        {
            var keep = newBlock ? [] : _order.Skip(Math.Max(0, _order.Length - (maxJobs - 1))).ToArray();
            var retired = _order.Except(keep).ToArray();
            var order = keep.Append(job.Id).ToArray();
            var jobs = order.ToDictionary(id => id, id => id == job.Id ? job : Jobs[id], StringComparer.Ordinal);
            var staleOrder = _staleOrder.Concat(retired).TakeLast(MaxStaleIds).ToArray();
            return new JobBook(job, jobs, order, new HashSet<string>(staleOrder, StringComparer.Ordinal), staleOrder);
        }
    }
}
