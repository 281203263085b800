namespace StratumPool.Jobs;

/// <summary>BIP34: the coinbase script starts with the block height, pushed as Bitcoin Core's <c>CScript() &lt;&lt; height</c> does.</summary>
public static class Bip34
{
    public static byte[] EncodeHeight(long height)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        if (height == 0)
        {
            return [0x00];
        }

        if (height <= 16)
        {
            return [(byte)(0x50 + height)];
        }

        Span<byte> number = stackalloc byte[9];
        var length = 0;
        var value = height;
        while (value > 0)
        {
            number[length++] = (byte)(value & 0xff);
            value >>= 8;
        }

        // CScriptNum: a set top bit would read as negative, so a zero byte is appended.
        if ((number[length - 1] & 0x80) != 0)
        {
            number[length++] = 0x00;
        }

        var push = new byte[length + 1];
        push[0] = (byte)length;
        number[..length].CopyTo(push.AsSpan(1));
        return push;
    }

    /// <summary>True when <paramref name="coinbaseScript"/> starts with the BIP34 push of <paramref name="height"/>.</summary>
    public static bool StartsWithHeight(ReadOnlySpan<byte> coinbaseScript, long height) =>
        coinbaseScript.StartsWith(EncodeHeight(height));
}
