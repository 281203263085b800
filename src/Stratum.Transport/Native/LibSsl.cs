using System.Runtime.InteropServices;

namespace Stratum.Transport.Native;

/// <summary>
/// The OpenSSL calls the record layer makes on a connection the runtime's <c>SslStream</c> handshook: the same
/// <c>libssl.so.3</c> the runtime loaded, so the <c>SSL*</c> it created can be driven here.
/// </summary>
internal static unsafe partial class LibSsl
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    public const int SSL_ERROR_WANT_READ = 2;
    public const int SSL_ERROR_ZERO_RETURN = 6;

    public const ulong SSL_OP_NO_RENEGOTIATION = 1UL << 30;
    public const int SSL_CTRL_MODE = 33;
    public const nint SSL_MODE_AUTO_RETRY = 0x4;

    public const int BIO_CTRL_PENDING = 10;
    public const int BIO_TYPE_MEM = 1 | 0x0400;

    [LibraryImport(Ssl, EntryPoint = "SSL_read")]
    public static partial int Read(nint ssl, byte* buffer, int length);

    [LibraryImport(Ssl, EntryPoint = "SSL_write")]
    public static partial int Write(nint ssl, byte* buffer, int length);

    [LibraryImport(Ssl, EntryPoint = "SSL_pending")]
    [SuppressGCTransition]
    public static partial int Pending(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_error")]
    [SuppressGCTransition]
    public static partial int GetError(nint ssl, int result);

    [LibraryImport(Ssl, EntryPoint = "SSL_ctrl")]
    [SuppressGCTransition]
    public static partial nint Control(nint ssl, int command, nint larg, nint parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_rbio")]
    [SuppressGCTransition]
    public static partial nint GetReadBio(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_get_wbio")]
    [SuppressGCTransition]
    public static partial nint GetWriteBio(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_options")]
    [SuppressGCTransition]
    public static partial ulong SetOptions(nint ssl, ulong options);

    // Memory BIOs only copy bytes: short, never blocking, never calling back into managed code.

    [LibraryImport(Crypto, EntryPoint = "BIO_write")]
    [SuppressGCTransition]
    public static partial int BioWrite(nint bio, byte* data, int length);

    [LibraryImport(Crypto, EntryPoint = "BIO_read")]
    [SuppressGCTransition]
    public static partial int BioRead(nint bio, byte* data, int length);

    [LibraryImport(Crypto, EntryPoint = "BIO_ctrl")]
    [SuppressGCTransition]
    public static partial nint BioControl(nint bio, int command, nint larg, nint parg);

    [LibraryImport(Crypto, EntryPoint = "BIO_method_type")]
    [SuppressGCTransition]
    public static partial int BioMethodType(nint bio);

    [LibraryImport(Crypto, EntryPoint = "ERR_clear_error")]
    [SuppressGCTransition]
    public static partial void ClearErrors();
}
