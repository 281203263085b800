using System.Globalization;
using System.Numerics;
using NBitcoin;

namespace StratumPool.Jobs;

/// <summary>nBits (compact target) conversions through NBitcoin's <see cref="Target"/>.</summary>
public static class CompactTarget
{
    /// <summary>The 32 little-endian bytes of the target encoded by <paramref name="bits"/>.</summary>
    public static byte[] ToTargetBytes(uint bits) => new Target(bits).ToUInt256().ToBytes();

    public static BigInteger ToTarget(uint bits) => HashMath.FromLittleEndian(ToTargetBytes(bits));

    /// <summary>Network difficulty (difficulty-1 target 0x00000000FFFF… / target) of <paramref name="bits"/>.</summary>
    public static double ToDifficulty(uint bits) => new Target(bits).Difficulty;

    /// <summary>The compact form of <paramref name="target"/> (rounded down, as nBits always is).</summary>
    public static uint FromTarget(BigInteger target) => new Target(new uint256(HashMath.ToLittleEndian32(target))).ToCompact();

    public static uint Parse(string bitsHex) =>
        uint.TryParse(bitsHex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits)
            ? bits
            : throw new FormatException($"'{bitsHex}' is not an 8-digit hex nBits.");
}
