using System.Text.Json;
using System.Text.Json.Serialization;

namespace StratumPool.Api;

// Shapes follow Miningcore's API (camelCase) where they fit, so existing dashboards can read them.

public sealed record PoolListResponse(IReadOnlyList<PoolInfo> Pools);

public sealed record PoolResponse(PoolInfo Pool);

public sealed record PoolInfo(
    string Id,
    CoinInfo Coin,
    IReadOnlyDictionary<string, PoolPortInfo> Ports,
    PaymentProcessingInfo PaymentProcessing,
    PoolStatsInfo PoolStats,
    NetworkStatsInfo NetworkStats,
    long TotalBlocks,
    DateTimeOffset? LastPoolBlockTime,
    string? Address,
    double PoolFeePercent);

public sealed record CoinInfo(string Type, string Name, string Symbol, string Algorithm);

public sealed record PoolPortInfo(string ListenAddress, double Difficulty, VarDiffInfo? VarDiff);

public sealed record VarDiffInfo(double MinDiff, double MaxDiff, double TargetTime, double RetargetTime, double VariancePercent);

public sealed record PaymentProcessingInfo(bool Enabled, string PayoutScheme);

public sealed record PoolStatsInfo(int ConnectedMiners, int ConnectedWorkers, double PoolHashrate, double SharesPerSecond);

public sealed record NetworkStatsInfo(
    string NetworkType,
    double NetworkHashrate,
    double NetworkDifficulty,
    DateTimeOffset? LastNetworkBlockTime,
    long BlockHeight,
    bool Connected);

public sealed record BlockInfo(
    string PoolId,
    long BlockHeight,
    double NetworkDifficulty,
    string Status,
    double ConfirmationProgress,
    int Confirmations,
    decimal Reward,
    string Hash,
    string TransactionConfirmationData,
    string Miner,
    string Worker,
    DateTimeOffset Created);

public sealed record MinerStatsResponse(
    string Address,
    long PendingShares,
    decimal PendingBalance,
    decimal TotalPaid,
    decimal TodayPaid,
    DateTimeOffset? LastShare,
    double Hashrate,
    double SharesPerSecond,
    MinerPerformance Performance);

public sealed record MinerPerformance(DateTimeOffset Created, IReadOnlyDictionary<string, WorkerPerformance> Workers);

public sealed record WorkerPerformance(double Hashrate, double SharesPerSecond);

public sealed record ApiError(string Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PoolListResponse))]
[JsonSerializable(typeof(PoolResponse))]
[JsonSerializable(typeof(IReadOnlyList<BlockInfo>))]
[JsonSerializable(typeof(MinerStatsResponse))]
[JsonSerializable(typeof(ApiError))]
public sealed partial class PoolApiJsonContext : JsonSerializerContext;
