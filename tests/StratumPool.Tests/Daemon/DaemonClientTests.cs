using System.Net;
using System.Net.Sockets;
using StratumPool.Chain;
using StratumPool.Daemon;
using StratumPool.Tests.Devnet;

namespace StratumPool.Tests.Daemon;

/// <summary>Failover and error handling of the daemon client, against the devnet (which answers like bitcoind).</summary>
public sealed class DaemonClientTests
{
    [Fact]
    public async Task FailsOverFromADeadDaemonToALiveOne()
    {
        await using var devnet = await DevnetHarness.StartAsync(1);
        var live = (await devnet.Server.GetEndpointsAsync(CancellationToken.None))[0];
        var dead = live with { Url = $"http://127.0.0.1:{ClosedPort()}/" };
        var client = new DaemonClient(new HttpClient(), new ConfiguredDaemonEndpoints([dead, live]));

        var first = await client.GetBestBlockHashAsync(CancellationToken.None);
        var second = await client.GetBestBlockHashAsync(CancellationToken.None);

        Assert.Equal(devnet.Server.Chain.Tip.Hash, first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task NoLiveDaemonIsAClearError()
    {
        var dead = new DaemonEndpointOptions { Url = $"http://127.0.0.1:{ClosedPort()}/", User = "u", Password = "hidden-password" };
        var client = new DaemonClient(new HttpClient(), new ConfiguredDaemonEndpoints([dead]), attemptTimeout: TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<DaemonUnavailableException>(() => client.GetBestBlockHashAsync(CancellationToken.None));

        Assert.Contains("getbestblockhash", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-password", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BcoinRejectPrefixIsStripped()
    {
        Assert.Equal("bad-txnmrklroot", DaemonClient.NormaliseRejectReason("rejected: bad-txnmrklroot"));
        Assert.Equal("high-hash", DaemonClient.NormaliseRejectReason("high-hash"));
        Assert.Null(DaemonClient.NormaliseRejectReason(null));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
