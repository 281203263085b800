using System.Net;
using NBitcoin;
using StratumPool.Chain;
using StratumPool.Jobs;
using StratumPool.Shares;

namespace StratumPool.Tests.Jobs;

/// <summary>The real testnet3 template and the real shares recorded from miners, through our job and share code.</summary>
public sealed class RecordedJobTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(0x64b3f3ec + 30);

    [Fact]
    public void TestnetTemplateGivesTheRecordedNotifyFields()
    {
        var template = BitcoinVectors.Template("testnet3_2442185_public-pool.json");
        var recorded = BitcoinVectors.Notify(BitcoinVectors.Json("stratum", "public-pool_testnet3_2442185_share.json"));
        var payout = ChainNetworkParameters.For(ChainNetwork.Testnet).ParsePayout("tb1qumezefzdeqqwn5zfvgdrhxjzc5ylr39uhuxcz4");
        var factory = new JobFactory("/stratum-proxy/", 8, payout);

        var job = factory.Create(template, "1", Now);
        var notify = job.GetCoinbase(null).Notify;

        Assert.Equal(recorded.PrevHash, notify.PrevHash);
        Assert.Equal(recorded.MerkleBranch, notify.MerkleBranch);
        Assert.Equal(recorded.Version, notify.Version);
        Assert.Equal(recorded.NBits, notify.NBits);
        // public-pool stamps ntime from its own clock (one second before the template's curtime in the recording);
        // we send the template's curtime.
        Assert.Equal(template.CurTime.ToString("x8"), notify.NTime);
        Assert.InRange(Convert.ToUInt32(notify.NTime, 16) - Convert.ToUInt32(recorded.NTime, 16), 0u, 1u);
        Assert.Equal(2442185, job.Height);
    }

    [Fact]
    public void TestnetTemplateCoinbaseCarriesTheRecordedWitnessCommitmentHeightAndValue()
    {
        var template = BitcoinVectors.Template("testnet3_2442185_public-pool.json");
        var recorded = BitcoinVectors.Notify(BitcoinVectors.Json("stratum", "public-pool_testnet3_2442185_share.json"));
        var payout = ChainNetworkParameters.For(ChainNetwork.Testnet).ParsePayout("tb1qumezefzdeqqwn5zfvgdrhxjzc5ylr39uhuxcz4");
        var job = new JobFactory("/stratum-proxy/", 8, payout).Create(template, "1", Now);
        var parts = job.GetCoinbase(null);

        var coinbase = Transaction.Parse(parts.Notify.Coinb1 + "57a6f09800000000" + parts.Notify.Coinb2, Network.TestNet);

        // The recorded coinb2 ends with the commitment output; ours must carry the same script.
        var recordedCommitment = recorded.Coinb2[^86..^8];
        Assert.Equal("266a24aa21a9ed", recordedCommitment[..14]);
        Assert.Equal(template.DefaultWitnessCommitment, recordedCommitment[2..]);
        Assert.Contains(coinbase.Outputs, o => Convert.ToHexStringLower(o.ScriptPubKey.ToBytes()) == template.DefaultWitnessCommitment);
        Assert.True(coinbase.IsCoinBase);
        Assert.True(Bip34.StartsWithHeight(coinbase.Inputs[0].ScriptSig.ToBytes(), 2442185));
        Assert.Equal(template.CoinbaseValue, coinbase.TotalOut.Satoshi);
        Assert.Contains(coinbase.Outputs, o => o.ScriptPubKey.ToBytes().AsSpan().SequenceEqual(payout.ScriptPubKey) && o.Value.Satoshi == template.CoinbaseValue);
        Assert.True(coinbase.Inputs[0].ScriptSig.Length <= 100);
    }

    [Fact]
    public void WitnessCommitmentIsComputedWhenTheTemplateOmitsIt()
    {
        var template = BitcoinVectors.Template("testnet3_2442185_public-pool.json");
        var wtxids = template.Transactions.Select(t => ByteOrder.FromDisplayHex(t.Hash!)).ToList();

        var commitment = MerkleTree.WitnessCommitmentScript(wtxids, new byte[32]);

        Assert.Equal(template.DefaultWitnessCommitment, Convert.ToHexStringLower(commitment));
    }

    [Fact]
    public void RecordedVersionRolledTestnetShareValidatesAtItsDifficulty()
    {
        var vector = BitcoinVectors.Json("stratum", "public-pool_testnet3_2442185_share.json");
        var job = JobFactory.FromNotify(BitcoinVectors.Notify(vector), 8, 2442185, Now);
        var submit = Submission(vector, difficulty: 512, useVersionBits: true);

        var verdict = ShareValidator.Validate(job, job.GetCoinbase(null), submit, Now.ToUnixTimeSeconds());

        Assert.True(verdict.Accepted, verdict.Message);
        Assert.Equal((double)vector["expected"]!["share_difficulty"]!, verdict.ShareDifficulty, 6);
        Assert.Null(verdict.Block);
    }

    [Fact]
    public void RecordedTestnetShareWithoutItsVersionBitsIsLowDifficulty()
    {
        var vector = BitcoinVectors.Json("stratum", "public-pool_testnet3_2442185_share.json");
        var job = JobFactory.FromNotify(BitcoinVectors.Notify(vector), 8, 2442185, Now);
        var submit = Submission(vector, difficulty: 512, useVersionBits: false);

        var verdict = ShareValidator.Validate(job, job.GetCoinbase(null), submit, Now.ToUnixTimeSeconds());

        Assert.Equal(23, verdict.ErrorCode);
        Assert.True(verdict.ShareDifficulty < 1e-6);
    }

    [Theory]
    [InlineData("mujina_bitaxe_mainnet_share_875b4b7.json", 8192)]
    [InlineData("esp-miner_mainnet_share_diff683.json", 683)]
    public void BitaxeSharesValidateAtTheirRecordedDifficulty(string file, double difficulty)
    {
        var vector = BitcoinVectors.Json("stratum", file);
        var notify = BitcoinVectors.Notify(vector);
        var job = JobFactory.FromNotify(notify, 8, 0, Now);
        var now = DateTimeOffset.FromUnixTimeSeconds(Convert.ToUInt32(notify.NTime, 16) + 60);

        var verdict = ShareValidator.Validate(job, job.GetCoinbase(null), Submission(vector, difficulty, useVersionBits: true), now.ToUnixTimeSeconds());

        Assert.True(verdict.Accepted, verdict.Message);
        Assert.Equal((double)vector["expected"]!["share_difficulty"]!, verdict.ShareDifficulty, 6);
        Assert.Equal(difficulty, verdict.AcceptedAtDifficulty);
    }

    [Fact]
    public void CachedMerkleRootOfAnExtranonceGivesTheSameShareHash()
    {
        var vector = BitcoinVectors.Json("stratum", "mujina_bitaxe_mainnet_share_875b4b7.json");
        var notify = BitcoinVectors.Notify(vector);
        var job = JobFactory.FromNotify(notify, 8, 0, Now);
        var now = Convert.ToUInt32(notify.NTime, 16) + 60L;
        var share = Submission(vector, 1e-10, useVersionBits: true);

        var other = ShareValidator.Validate(job, job.GetCoinbase(null), share with { Nonce = "00000000" }, now);
        var recorded = ShareValidator.Validate(job, job.GetCoinbase(null), share, now);
        var otherExtranonce = ShareValidator.Validate(job, job.GetCoinbase(null), share with { ExtraNonce2 = "17000001" }, now);

        Assert.True(other.Accepted);
        Assert.Equal((double)vector["expected"]!["share_difficulty"]!, recorded.ShareDifficulty, 6);
        Assert.NotEqual(recorded.ShareDifficulty, otherExtranonce.ShareDifficulty);
    }

    [Fact]
    public void EspMinerHeaderShareHasItsRecordedDifficulty()
    {
        var vector = BitcoinVectors.Json("stratum", "esp-miner_mainnet_share_diff18.json");
        var header = Convert.FromHexString((string)vector["expected"]!["header_hex"]!);

        var difficulty = HashMath.Difficulty(Sha256d.Hash(header));

        Assert.Equal(18, (int)difficulty);
        Assert.Equal((double)vector["expected"]!["share_difficulty"]!, difficulty, 6);
    }

    [Fact]
    public void EspMinerMerkleCasesFoldToTheirRoots()
    {
        var cases = BitcoinVectors.Json("stratum", "esp-miner_merkle_branch_cases.json")["cases"]!.AsArray();
        foreach (var c in cases)
        {
            var coinbase = Convert.FromHexString((string)c!["coinb1"]! + (string)c["extranonce1"]! + (string)c["extranonce2"]! + (string)c["coinb2"]!);
            var branch = c["merkle_branch"]!.AsArray().SelectMany(b => Convert.FromHexString((string)b!)).ToArray();
            var root = new byte[32];

            MerkleTree.RootFromBranch(Sha256d.Hash(coinbase), branch, root);

            Assert.Equal((string)c["expected_merkle_root_internal_hex"]!, Convert.ToHexStringLower(root));
        }
    }

    [Fact]
    public void DerivedMainnetBlockSolutionIsRecognisedAsABlock()
    {
        var vector = BitcoinVectors.Json("stratum", "mainnet_block_881423_solution.json");
        var notify = BitcoinVectors.Notify(vector);
        var job = JobFactory.FromNotify(notify, 8, 881423, Now);
        var now = Convert.ToUInt32(notify.NTime, 16) + 60L;

        var verdict = ShareValidator.Validate(job, job.GetCoinbase(null), Submission(vector, 1e6, useVersionBits: false), now);

        Assert.True(verdict.Accepted, verdict.Message);
        Assert.NotNull(verdict.Block);
        Assert.Equal("0000000000000000000269d52c24ea451225613aab095d90d771d4e29aa96cdd", verdict.Block.BlockHash);
    }

    internal static ShareSubmission Submission(System.Text.Json.Nodes.JsonNode vector, double difficulty, bool useVersionBits)
    {
        var p = vector["submit"]!["params"]!.AsArray();
        var versionBits = useVersionBits && p.Count > 5 ? (string?)p[5] : null;
        var mask = vector["version_mask"] is { } m ? Convert.ToUInt32((string)m!, 16) : 0u;
        return new ShareSubmission(
            (string)p[0]!,
            (string)p[1]!,
            (string)p[2]!,
            (string)p[3]!,
            (string)p[4]!,
            versionBits,
            Convert.FromHexString((string)vector["extranonce1"]!),
            (int)vector["extranonce2_size"]!,
            mask,
            difficulty,
            null,
            null,
            IPAddress.Loopback);
    }
}
