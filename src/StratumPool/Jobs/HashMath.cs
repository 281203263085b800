using System.Buffers.Binary;
using System.Numerics;

namespace StratumPool.Jobs;

/// <summary>
/// 256-bit hash arithmetic on internal-order (little-endian) bytes: difficulty of a hash and target comparison.
/// </summary>
public static class HashMath
{
    /// <summary>Difficulty-1 target of pool (bdiff) difficulty: 0xFFFF · 2^208.</summary>
    public static readonly double DifficultyOneTarget = 0xFFFF * Math.Pow(2, 208);

    /// <summary>Difficulty-1 target as an exact integer.</summary>
    public static readonly BigInteger DifficultyOneTargetInteger = new BigInteger(0xFFFF) << 208;

    /// <summary>The hash read as a little-endian 256-bit integer, as a double.</summary>
    public static double ToDouble(ReadOnlySpan<byte> hashLittleEndian)
    {
        var value = 0.0;
        for (var limb = 3; limb >= 0; limb--)
        {
            value = (value * 18446744073709551616.0) + BinaryPrimitives.ReadUInt64LittleEndian(hashLittleEndian.Slice(limb * 8, 8));
        }

        return value;
    }

    /// <summary>Share difficulty of a header hash: 0xFFFF·2^208 / hash.</summary>
    public static double Difficulty(ReadOnlySpan<byte> hashLittleEndian)
    {
        var value = ToDouble(hashLittleEndian);
        return value == 0 ? double.PositiveInfinity : DifficultyOneTarget / value;
    }

    /// <summary>True when hash ≤ target, both 32 little-endian bytes.</summary>
    public static bool MeetsTarget(ReadOnlySpan<byte> hashLittleEndian, ReadOnlySpan<byte> targetLittleEndian)
    {
        for (var limb = 3; limb >= 0; limb--)
        {
            var h = BinaryPrimitives.ReadUInt64LittleEndian(hashLittleEndian.Slice(limb * 8, 8));
            var t = BinaryPrimitives.ReadUInt64LittleEndian(targetLittleEndian.Slice(limb * 8, 8));
            if (h != t)
            {
                return h < t;
            }
        }

        return true;
    }

    /// <summary>The 256-bit target of a difficulty (difficulty-1 target / difficulty), capped at 2^256-1.</summary>
    public static BigInteger TargetFromDifficulty(double difficulty)
    {
        if (!(difficulty > 0) || double.IsInfinity(difficulty))
        {
            throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, "Difficulty must be positive and finite.");
        }

        // Scale to keep ~15 significant digits of the fraction exact in integer arithmetic.
        const double scale = 1e15;
        var scaled = new BigInteger(Math.Round(difficulty * scale));
        if (scaled.IsZero)
        {
            scaled = BigInteger.One;
        }

        var target = DifficultyOneTargetInteger * new BigInteger(scale) / scaled;
        var max = (BigInteger.One << 256) - 1;
        return target > max ? max : target;
    }

    /// <summary>32 little-endian bytes of a non-negative integer below 2^256.</summary>
    public static byte[] ToLittleEndian32(BigInteger value)
    {
        var bytes = new byte[32];
        if (!value.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Value does not fit in 256 bits.");
        }

        return bytes;
    }

    public static BigInteger FromLittleEndian(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: false);
}
