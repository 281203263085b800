using System.Text.Json.Nodes;
using NBitcoin;
using StratumPool.Jobs;

namespace StratumPool.Tests.Jobs;

/// <summary>Header hash, merkle root, BIP34 height and witness commitment of real blocks, reproduced by our code.</summary>
public sealed class RealBlockTests
{
    public static TheoryData<string> Blocks() => [.. BitcoinVectors.BlockHashes()];

    [Theory]
    [MemberData(nameof(Blocks))]
    public void HeaderHashAndProofOfWorkAreReproduced(string displayHash)
    {
        var raw = Convert.FromHexString(File.ReadAllText(BitcoinVectors.FilePath("blocks", displayHash + ".hex")).Trim());
        var header = raw.AsSpan(0, 80);

        var hash = Sha256d.Hash(header);

        Assert.Equal(displayHash, ByteOrder.ToDisplayHex(hash));
        var bits = BitConverter.ToUInt32(raw, 72);
        Assert.True(HashMath.MeetsTarget(hash, CompactTarget.ToTargetBytes(bits)));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void MerkleRootFromTxidsMatchesTheHeader(string displayHash)
    {
        var raw = Convert.FromHexString(File.ReadAllText(BitcoinVectors.FilePath("blocks", displayHash + ".hex")).Trim());
        var block = Block.Load(raw, Network.Main);
        var txids = block.Transactions.Select(t => t.GetHash().ToBytes()).ToList();

        var root = MerkleTree.ComputeRoot(txids);

        Assert.Equal(Convert.ToHexStringLower(raw.AsSpan(36, 32)), Convert.ToHexStringLower(root));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void MerkleBranchOfTheCoinbaseFoldsToTheRoot(string displayHash)
    {
        var raw = Convert.FromHexString(File.ReadAllText(BitcoinVectors.FilePath("blocks", displayHash + ".hex")).Trim());
        var block = Block.Load(raw, Network.Main);
        var txids = block.Transactions.Select(t => t.GetHash().ToBytes()).ToList();
        var branch = MerkleTree.ComputeBranch(txids.Skip(1).ToList());

        var root = new byte[32];
        MerkleTree.RootFromBranch(txids[0], branch.SelectMany(b => b).ToArray(), root);

        Assert.Equal(Convert.ToHexStringLower(raw.AsSpan(36, 32)), Convert.ToHexStringLower(root));
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Bip34HeightPushMatchesForVersion2Blocks(string displayHash)
    {
        var sidecar = BitcoinVectors.Json("blocks", displayHash + ".json");
        var raw = Convert.FromHexString(File.ReadAllText(BitcoinVectors.FilePath("blocks", displayHash + ".hex")).Trim());
        var block = Block.Load(raw, Network.Main);
        if (block.Header.Version < 2 || (long)sidecar["height"]! == 0)
        {
            return;
        }

        var script = block.Transactions[0].Inputs[0].ScriptSig.ToBytes();
        Assert.True(Bip34.StartsWithHeight(script, (long)sidecar["height"]!));
        Assert.False(Bip34.StartsWithHeight(script, (long)sidecar["height"]! + 1));
    }

    [Theory]
    [InlineData("000000000000000000143a2c56c0214236dadfd30df41d4a0345492ad6d861ec")]
    [InlineData("2feb901411265ae78f1638d3c71864408c31969bbec62f1be48f2805e5676551")]
    public void WitnessCommitmentOfSegwitBlocksIsReproduced(string displayHash)
    {
        var raw = Convert.FromHexString(File.ReadAllText(BitcoinVectors.FilePath("blocks", displayHash + ".hex")).Trim());
        var block = Block.Load(raw, Network.Main);
        var coinbase = block.Transactions[0];
        var wtxids = block.Transactions.Skip(1).Select(t => t.GetWitHash().ToBytes()).ToList();
        var reserved = coinbase.Inputs[0].WitScript.Pushes.Single();

        var commitment = MerkleTree.WitnessCommitmentScript(wtxids, reserved);

        var outputScripts = coinbase.Outputs.Select(o => Convert.ToHexStringLower(o.ScriptPubKey.ToBytes())).ToList();
        Assert.Contains(Convert.ToHexStringLower(commitment), outputScripts);
    }

    [Fact]
    public void HeaderOnlyVectorsHashToTheirRecordedHashes()
    {
        var files = Directory.EnumerateFiles(BitcoinVectors.FilePath("headers"), "*.json").ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var json = JsonNode.Parse(File.ReadAllText(file))!;
            var header = Convert.FromHexString((string)json["header_hex"]!);
            Assert.Equal((string)json["hash"]!, ByteOrder.ToDisplayHex(Sha256d.Hash(header)));
        }
    }

    [Fact]
    public void Bip34EncodingFollowsBitcoinCoreScriptNumbers()
    {
        Assert.Equal("51", Convert.ToHexStringLower(Bip34.EncodeHeight(1)));
        Assert.Equal("60", Convert.ToHexStringLower(Bip34.EncodeHeight(16)));
        Assert.Equal("0111", Convert.ToHexStringLower(Bip34.EncodeHeight(17)));
        Assert.Equal("028000", Convert.ToHexStringLower(Bip34.EncodeHeight(128)));
        Assert.Equal("02c800", Convert.ToHexStringLower(Bip34.EncodeHeight(200)));
        Assert.Equal("03c94325", Convert.ToHexStringLower(Bip34.EncodeHeight(2442185)));
        // NBitcoin's own BIP34 push agrees for heights that are data pushes.
        Assert.Equal(new Script(Op.GetPushOp(2442185)).ToBytes(), Bip34.EncodeHeight(2442185));
    }
}
