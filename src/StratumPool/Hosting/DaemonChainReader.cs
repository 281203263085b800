using StratumPool.Daemon;
using StratumPool.Persistence;

namespace StratumPool.Hosting;

/// <summary>The confirmation watcher's view of the chain, through the daemon client.</summary>
public sealed class DaemonChainReader(DaemonClient daemon) : IChainReader
{
    public async Task<long> GetBlockCountAsync(CancellationToken cancellationToken) =>
        (await daemon.GetBlockchainInfoAsync(cancellationToken)).Blocks;

    public async Task<string?> GetBlockHashAsync(long height, CancellationToken cancellationToken)
    {
        try
        {
            return await daemon.GetBlockHashAsync(height, cancellationToken);
        }
        catch (DaemonRpcException)
        {
            return null;
        }
    }
}
