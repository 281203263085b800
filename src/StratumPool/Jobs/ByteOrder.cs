namespace StratumPool.Jobs;

/// <summary>Conversions between display-order hex (RPC, explorers), internal bytes and Stratum's word-swapped prevhash.</summary>
public static class ByteOrder
{
    /// <summary>Internal-order bytes of a display-order 32-byte hash hex (txid, block hash).</summary>
    public static byte[] FromDisplayHex(string displayHex)
    {
        var bytes = Convert.FromHexString(displayHex);
        if (bytes.Length != 32)
        {
            throw new FormatException($"Expected a 32-byte hash, got {bytes.Length} bytes.");
        }

        Array.Reverse(bytes);
        return bytes;
    }

    /// <summary>Display-order hex of internal-order hash bytes.</summary>
    public static string ToDisplayHex(ReadOnlySpan<byte> internalBytes)
    {
        Span<byte> reversed = stackalloc byte[internalBytes.Length];
        internalBytes.CopyTo(reversed);
        reversed.Reverse();
        return Convert.ToHexStringLower(reversed);
    }

    /// <summary>
    /// Stratum's <c>mining.notify</c> prevhash: the internal bytes with the 4 bytes of each 32-bit word reversed.
    /// </summary>
    public static string ToStratumPrevHash(ReadOnlySpan<byte> internalBytes)
    {
        Span<byte> swapped = stackalloc byte[32];
        SwapWords(internalBytes, swapped);
        return Convert.ToHexStringLower(swapped);
    }

    /// <summary>Internal bytes of a Stratum prevhash (the swap is its own inverse).</summary>
    public static byte[] FromStratumPrevHash(string stratumHex)
    {
        var bytes = Convert.FromHexString(stratumHex);
        if (bytes.Length != 32)
        {
            throw new FormatException($"Expected a 32-byte prevhash, got {bytes.Length} bytes.");
        }

        var result = new byte[32];
        SwapWords(bytes, result);
        return result;
    }

    private static void SwapWords(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        for (var word = 0; word < 32; word += 4)
        {
            destination[word] = source[word + 3];
            destination[word + 1] = source[word + 2];
            destination[word + 2] = source[word + 1];
            destination[word + 3] = source[word];
        }
    }
}
