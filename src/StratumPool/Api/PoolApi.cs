using Microsoft.Extensions.Options;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Metrics;
using StratumPool.Persistence;
using StratumPool.Stratum;

namespace StratumPool.Api;

/// <summary>Builds the API's answers from the live sessions, the chain side and the store.</summary>
public sealed class PoolApi(
    IOptions<PoolOptions> options,
    IJobManager jobs,
    StratumSessionRegistry sessions,
    StratumServerContext server,
    ShareRateTracker shareRate,
    IShareStore shares,
    IBlockStore blocks,
    TimeProvider time)
{
    private static readonly double TwoPow32 = Math.Pow(2, 32);
    private const double TargetBlockSeconds = 600;
    private const decimal SatoshisPerCoin = 100_000_000m;
    private readonly PoolOptions _options = options.Value;

    public string PoolId => _options.EffectiveId;

    public async Task<PoolInfo> GetPoolAsync(CancellationToken cancellationToken)
    {
        var network = jobs.Network;
        var recent = await blocks.GetRecentAsync(PoolId, 1, cancellationToken);
        var total = await blocks.CountAsync(PoolId, cancellationToken);
        var symbol = PoolOptions.CoinSymbol(_options.Coin);
        var varDiff = _options.Difficulty.VarDiff is { } v
            ? new VarDiffInfo(v.MinDiff, v.MaxDiff, v.TargetTime, v.RetargetTime, v.VariancePercent)
            : null;
        var port = _options.Endpoint[(_options.Endpoint.LastIndexOf(':') + 1)..];
        return new PoolInfo(
            PoolId,
            new CoinInfo(symbol, _options.Coin, symbol, "SHA256"),
            new Dictionary<string, PoolPortInfo> { [port] = new(_options.Endpoint, _options.Difficulty.Initial, varDiff) },
            new PaymentProcessingInfo(false, _options.PaymentMode == PaymentMode.Solo ? "SOLO" : "PPLNS"),
            new PoolStatsInfo(sessions.CountMiners(), sessions.CountWorkers(), shareRate.Hashrate, shareRate.SharesPerSecond),
            new NetworkStatsInfo(
                _options.Network.ToString(),
                network.Difficulty * TwoPow32 / TargetBlockSeconds,
                network.Difficulty,
                server.LastNetworkBlockAt,
                network.Height,
                network.Connected),
            total,
            recent.Count > 0 ? recent[0].CreatedAt : null,
            _options.PaymentMode == PaymentMode.Pool ? _options.Address : null,
            0);
    }

    public async Task<IReadOnlyList<BlockInfo>> GetBlocksAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        pageSize = Math.Clamp(pageSize, 1, 500);
        page = Math.Max(0, page);
        var recent = await blocks.GetRecentAsync(PoolId, (page + 1) * pageSize, cancellationToken);
        return recent.Skip(page * pageSize).Select(block => new BlockInfo(
            block.PoolId,
            block.Height,
            block.NetworkDifficulty,
            block.Status.ToString().ToLowerInvariant(),
            block.Status == BlockStatus.Confirmed ? 1 : Math.Min(1, block.Confirmations / (double)_options.BlockConfirmations),
            block.Confirmations,
            block.Reward / SatoshisPerCoin,
            block.Hash,
            block.Hash,
            block.FinderAddress,
            WorkerSuffix(block.FinderWorker),
            block.CreatedAt)).ToList();
    }

    public async Task<MinerStatsResponse> GetMinerAsync(string address, CancellationToken cancellationToken)
    {
        var window = _options.HashrateWindow;
        var now = time.GetUtcNow();
        var stats = await shares.GetWorkerStatsAsync(PoolId, address, now - window, cancellationToken);
        var workers = new Dictionary<string, WorkerPerformance>(StringComparer.Ordinal);
        double hashrate = 0, sharesPerSecond = 0;
        DateTimeOffset? lastShare = null;
        long pending = 0;
        foreach (var worker in stats)
        {
            var workerHashrate = worker.DifficultySum * TwoPow32 / window.TotalSeconds;
            var workerRate = worker.Shares / window.TotalSeconds;
            workers[WorkerSuffix(worker.Worker)] = new WorkerPerformance(workerHashrate, workerRate);
            hashrate += workerHashrate;
            sharesPerSecond += workerRate;
            pending += worker.Shares;
            lastShare = lastShare is null || worker.LastShareAt > lastShare ? worker.LastShareAt : lastShare;
        }

        return new MinerStatsResponse(address, pending, 0, 0, 0, lastShare, hashrate, sharesPerSecond, new MinerPerformance(now, workers));
    }

    /// <summary>Miningcore keys workers by the part after the address (empty for a bare address).</summary>
    private static string WorkerSuffix(string worker)
    {
        var dot = worker.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? string.Empty : worker[(dot + 1)..];
    }
}
