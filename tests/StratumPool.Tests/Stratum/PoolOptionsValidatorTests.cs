using Microsoft.Extensions.Configuration;
using StratumPool.Chain;
using StratumPool.Hosting;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.Stratum;

public sealed class PoolOptionsValidatorTests
{
    [Fact]
    public void Defaults_on_the_devnet_are_valid()
    {
        Assert.Empty(PoolOptionsValidator.Collect(new PoolOptions()));
    }

    [Fact]
    public void Repository_appsettings_pool_section_binds_and_validates()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(RepositoryPaths.Root, "appsettings.json")).Build();
        var options = configuration.GetSection(PoolOptions.SectionName).Get<PoolOptions>()!;

        Assert.Empty(PoolOptionsValidator.Collect(options));
        Assert.Equal("127.0.0.1:13333", options.Endpoint);
        Assert.Equal(ChainNetwork.Devnet, options.Network);
        Assert.Equal(TimeSpan.FromSeconds(55), options.JobRebroadcastTimeout);
        Assert.Equal(15, options.Difficulty.VarDiff!.TargetTime);
        Assert.Equal("btc", options.EffectiveId);
    }

    [Fact]
    public void Every_error_is_collected_and_names_its_key()
    {
        var options = new PoolOptions
        {
            Endpoint = "nowhere",
            Network = ChainNetwork.Mainnet,
            Difficulty = new DifficultyOptions { Initial = 0, VarDiff = new VarDiffOptions { MinDiff = 10, MaxDiff = 1, VariancePercent = 100 } },
            Api = new ApiOptions { Endpoint = "x:y" },
            TrustedProxies = ["10.0.0.0/8", "not-an-ip"],
            KeepaliveInterval = TimeSpan.FromMinutes(3),
        };

        var errors = PoolOptionsValidator.Collect(options);

        Assert.Contains("Pool:Endpoint must be host:port (got 'nowhere')", errors);
        Assert.Contains("Pool:Difficulty:Initial must be > 0", errors);
        Assert.Contains("Pool:Difficulty:VarDiff:MaxDiff must be >= MinDiff", errors);
        Assert.Contains(errors, e => e.StartsWith("Pool:Difficulty:VarDiff:VariancePercent", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Pool:Api:Endpoint", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Pool:TrustedProxies:1", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.StartsWith("Pool:TrustedProxies:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Pool:KeepaliveInterval", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Pool:Daemons", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Pool:Address", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ChainNetwork.Mainnet, ChainNetwork.Mainnet, true)]
    [InlineData(ChainNetwork.Mainnet, ChainNetwork.Testnet, false)]
    [InlineData(ChainNetwork.Testnet, ChainNetwork.Testnet, true)]
    [InlineData(ChainNetwork.Regtest, ChainNetwork.Regtest, true)]
    [InlineData(ChainNetwork.Regtest, ChainNetwork.Mainnet, false)]
    public void Address_is_checked_for_the_network(ChainNetwork network, ChainNetwork addressNetwork, bool valid)
    {
        var key = new NBitcoin.Key(Enumerable.Repeat((byte)7, 32).ToArray());
        var address = key.PubKey.GetAddress(NBitcoin.ScriptPubKeyType.Segwit, PoolNetworks.ToNBitcoin(addressNetwork)).ToString();
        var options = new PoolOptions
        {
            Network = network,
            Address = address,
            Daemons = [new DaemonEndpointOptions { Url = "http://127.0.0.1:8332", User = "u", Password = "p" }],
        };

        var errors = PoolOptionsValidator.Collect(options);

        Assert.Equal(valid, !errors.Any(e => e.StartsWith("Pool:Address", StringComparison.Ordinal)));
    }
}
