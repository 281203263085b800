using System.Runtime.InteropServices;

namespace Stratum.Transport.Native;

/// <summary>
/// The OpenSSL calls of the record layer and of the server handshake: the same <c>libssl.so.3</c> the runtime
/// loaded, so an <c>SSL*</c> its <c>SslStream</c> created can be driven here too.
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

    public const ulong SSL_OP_NO_COMPRESSION = 1UL << 17;
    public const int SSL_CTRL_CHAIN_CERT = 89;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;
    public const nint SSL_MODE_RELEASE_BUFFERS = 0x10;
    public const int TLS1_2_VERSION = 0x0303;
    public const int TLS1_3_VERSION = 0x0304;

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

    // The server side: a context per certificate, a connection per handshake. Not on the per-line path.

    [LibraryImport(Ssl, EntryPoint = "TLS_server_method")]
    public static partial nint ServerMethod();

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_new")]
    public static partial nint ContextNew(nint method);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_free")]
    public static partial void ContextFree(nint context);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_ctrl")]
    public static partial nint ContextControl(nint context, int command, nint larg, nint parg);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_options")]
    public static partial ulong ContextSetOptions(nint context, ulong options);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_certificate")]
    public static partial int ContextUseCertificate(nint context, nint x509);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_use_PrivateKey")]
    public static partial int ContextUsePrivateKey(nint context, nint key);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_check_private_key")]
    public static partial int ContextCheckPrivateKey(nint context);

    [LibraryImport(Ssl, EntryPoint = "SSL_new")]
    public static partial nint New(nint context);

    [LibraryImport(Ssl, EntryPoint = "SSL_free")]
    public static partial void Free(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_bio")]
    public static partial void SetBio(nint ssl, nint input, nint output);

    [LibraryImport(Ssl, EntryPoint = "SSL_set_accept_state")]
    public static partial void SetAcceptState(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_do_handshake")]
    public static partial int DoHandshake(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_version")]
    public static partial int Version(nint ssl);

    [LibraryImport(Crypto, EntryPoint = "BIO_s_mem")]
    public static partial nint BioMemoryMethod();

    [LibraryImport(Crypto, EntryPoint = "BIO_new")]
    public static partial nint BioNew(nint method);

    [LibraryImport(Crypto, EntryPoint = "BIO_free")]
    public static partial int BioFree(nint bio);

    [LibraryImport(Crypto, EntryPoint = "d2i_X509")]
    public static partial nint DecodeX509(nint reuse, byte** data, nint length);

    [LibraryImport(Crypto, EntryPoint = "X509_free")]
    public static partial void X509Free(nint x509);

    [LibraryImport(Crypto, EntryPoint = "d2i_AutoPrivateKey")]
    public static partial nint DecodePrivateKey(nint reuse, byte** data, nint length);

    [LibraryImport(Crypto, EntryPoint = "EVP_PKEY_free")]
    public static partial void KeyFree(nint key);

    [LibraryImport(Crypto, EntryPoint = "ERR_get_error")]
    public static partial ulong GetErrorCode();

    [LibraryImport(Crypto, EntryPoint = "ERR_error_string_n")]
    public static partial void ErrorString(ulong code, byte* buffer, nuint length);

    /// <summary>The oldest error OpenSSL queued on this thread, as text (the queue is cleared), or null.</summary>
    public static string? TakeError()
    {
        var code = GetErrorCode();
        ClearErrors();
        if (code == 0)
        {
            return null;
        }

        var text = stackalloc byte[256];
        ErrorString(code, text, 256);
        return Marshal.PtrToStringUTF8((nint)text);
    }
}
