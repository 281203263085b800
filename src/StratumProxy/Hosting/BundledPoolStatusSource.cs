using StratumPool.Api;
using StratumPool.Hosting;
using StratumProxy.Management;

namespace StratumProxy.Hosting;

/// <summary>
/// The bundled pool's own figures (hash rate from the shares it accepted, its chain) for the status API; none when
/// the pool is not enabled (no <see cref="PoolHostedService"/>) or not started yet.
/// </summary>
public sealed class BundledPoolStatusSource(PoolHostedService? pool = null) : IPoolStatusSource
{
    public async Task<IReadOnlyList<PoolSummary>> GetPoolsAsync(CancellationToken cancellationToken)
    {
        if (pool?.Services?.GetService<PoolApi>() is not { } api)
        {
            return [];
        }

        var info = await api.GetPoolAsync(cancellationToken);
        return
        [
            new PoolSummary(
                info.Id,
                info.Coin.Symbol,
                info.NetworkStats.NetworkType,
                info.PoolStats.PoolHashrate,
                info.PoolStats.SharesPerSecond,
                info.PoolStats.ConnectedMiners,
                info.PoolStats.ConnectedWorkers,
                info.NetworkStats.NetworkDifficulty,
                info.NetworkStats.NetworkHashrate,
                info.NetworkStats.BlockHeight,
                info.NetworkStats.Connected,
                info.TotalBlocks,
                info.LastPoolBlockTime,
                "bundled"),
        ];
    }
}
