namespace StratumProxy.Stratum;

/// <summary>
/// The <see cref="StratumMessage.IdKey"/> of an id that is not a plain 64-bit integer: FNV-1a over the token's raw bytes
/// (escapes as written). String and numeric forms of the same id stay distinct by the seed, and bit 62 keeps a hash
/// away from the small numbers miners use as ids.
/// </summary>
internal static class RequestIdHash
{
    private const ulong Prime = 1099511628211UL;

    public static ulong Start(bool isString) => isString ? 14695981039346656037UL : Prime;

    public static ulong Append(ulong hash, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }

    public static long ToKey(ulong hash) => (long)(hash | 0x4000000000000000UL);

    public static long Of(ReadOnlySpan<byte> bytes, bool isString) => ToKey(Append(Start(isString), bytes));
}
