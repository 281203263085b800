using NBitcoin;
using StratumPool.Chain;

namespace StratumPool.Hosting;

/// <summary>Address parsing for the configured network (the chain side's parameters).</summary>
public static class PoolNetworks
{
    /// <summary>The devnet follows regtest's address formats (<c>bcrt1…</c>, <c>m…/n…</c>).</summary>
    public static Network ToNBitcoin(ChainNetwork network) => ChainNetworkParameters.For(network).NBitcoinNetwork;
}
