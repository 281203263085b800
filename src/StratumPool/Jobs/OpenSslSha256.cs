using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StratumPool.Jobs;

/// <summary>
/// OpenSSL's SHA-256 (<c>libcrypto.so.3</c>, the library the runtime's own SHA-256 is on Linux), called through its
/// plain <c>SHA256_Init/Update/Final</c> functions with the context on the stack. The runtime wraps the same code in a
/// digest object whose every call adds handle marshalling, an error-queue clear and a context re-initialisation,
/// which is most of the cost of hashing a 64- or 80-byte input (docs/benchmarks.md, "Pool share validation").
/// </summary>
/// <remarks>
/// Used only when a known-answer check passes at start: on another platform or an OpenSSL without these functions
/// <see cref="IsAvailable"/> is false and <see cref="Sha256d"/> keeps to the runtime's digest.
/// </remarks>
internal static partial class OpenSslSha256
{
    private const string Library = "libcrypto.so.3";

    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && PassesKnownAnswer();

    /// <summary>SHA-256 of <paramref name="data"/> into the first 32 bytes of <paramref name="destination"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < 32)
        {
            throw new ArgumentException("The destination needs 32 bytes.", nameof(destination));
        }

        var context = default(Context);
        Init(ref context);
        Update(ref context, ref MemoryMarshal.GetReference(data), (nuint)data.Length);
        Final(ref MemoryMarshal.GetReference(destination), ref context);
    }

    private static bool PassesKnownAnswer()
    {
        try
        {
            Span<byte> digest = stackalloc byte[32];
            Hash("abc"u8, digest);
            return Convert.ToHexStringLower(digest) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    // OpenSSL's SHA256_CTX: eight state words, the bit count, a 64-byte block and two counters (112 bytes).
    [InlineArray(14)]
    private struct Context
    {
        private ulong _element;
    }

    // Each call hashes at most a coinbase's bytes and never blocks or calls back, so it skips the GC transition.
    [LibraryImport(Library, EntryPoint = "SHA256_Init")]
    [SuppressGCTransition]
    private static partial int Init(ref Context context);

    [LibraryImport(Library, EntryPoint = "SHA256_Update")]
    [SuppressGCTransition]
    private static partial int Update(ref Context context, ref byte data, nuint length);

    [LibraryImport(Library, EntryPoint = "SHA256_Final")]
    [SuppressGCTransition]
    private static partial int Final(ref byte digest, ref Context context);
}
