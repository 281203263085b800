using System.Security.Authentication;
using System.Security.Cryptography;
using Stratum.Transport.Native;

namespace Stratum.Transport.Tls;

/// <summary>
/// An OpenSSL server context (<c>SSL_CTX*</c>) for one certificate: its chain, its key and the protocol versions
/// allowed, built once and shared by every handshake that presents that certificate, as nginx keeps one per
/// <c>server</c>. Handshakes made from it need no <c>SslStream</c>: see <see cref="OpenSslServerHandshake"/>.
/// </summary>
public sealed unsafe class OpenSslServerContext
{
    private static readonly Action<nint> FreeContext = LibSsl.ContextFree;
    private readonly OpenSslHandle _context;

    private OpenSslServerContext(OpenSslHandle context) => _context = context;

    /// <summary>
    /// Builds the context from the leaf certificate (DER), its intermediates (DER, leaf's issuer first) and the
    /// private key (PKCS#8 DER). TLS 1.0 and 1.1 are never allowed, whatever <paramref name="protocols"/> says.
    /// Throws <see cref="CryptographicException"/> with OpenSSL's reason when OpenSSL refuses a part.
    /// </summary>
    public static OpenSslServerContext Create(ReadOnlySpan<byte> leaf, IEnumerable<byte[]> intermediates, ReadOnlySpan<byte> privateKey, SslProtocols protocols)
    {
        var (minimum, maximum) = VersionRange(protocols);
        LibSsl.ClearErrors();
        var handle = new OpenSslHandle(LibSsl.ContextNew(LibSsl.ServerMethod()), FreeContext);
        if (handle.IsInvalid)
        {
            throw Failure("SSL_CTX_new");
        }

        try
        {
            var context = handle.DangerousGetHandle();
            Require(LibSsl.ContextControl(context, LibSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, minimum, 0) == 1, "minimum protocol version");
            Require(LibSsl.ContextControl(context, LibSsl.SSL_CTRL_SET_MAX_PROTO_VERSION, maximum, 0) == 1, "maximum protocol version");
            LibSsl.ContextSetOptions(context, LibSsl.SSL_OP_NO_RENEGOTIATION | LibSsl.SSL_OP_NO_COMPRESSION);

            var x509 = DecodeCertificate(leaf);
            try
            {
                Require(LibSsl.ContextUseCertificate(context, x509) == 1, "certificate");
            }
            finally
            {
                LibSsl.X509Free(x509);
            }

            foreach (var intermediate in intermediates)
            {
                var chainCertificate = DecodeCertificate(intermediate);
                try
                {
                    // SSL_CTX_add1_chain_cert: the context takes its own reference.
                    Require(LibSsl.ContextControl(context, LibSsl.SSL_CTRL_CHAIN_CERT, 1, chainCertificate) == 1, "intermediate certificate");
                }
                finally
                {
                    LibSsl.X509Free(chainCertificate);
                }
            }

            nint key;
            fixed (byte* data = privateKey)
            {
                var cursor = data;
                key = LibSsl.DecodePrivateKey(0, &cursor, privateKey.Length);
            }

            Require(key != 0, "private key");
            try
            {
                Require(LibSsl.ContextUsePrivateKey(context, key) == 1, "private key");
            }
            finally
            {
                LibSsl.KeyFree(key);
            }

            Require(LibSsl.ContextCheckPrivateKey(context) == 1, "private key matching the certificate");
            return new OpenSslServerContext(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A new server connection in this context, waiting for its ClientHello.</summary>
    public OpenSslServerHandshake StartHandshake() => OpenSslServerHandshake.Start(_context);

    private static (int Minimum, int Maximum) VersionRange(SslProtocols protocols)
    {
#pragma warning disable SYSLIB0039 // TLS 1.0/1.1 are named only to be left out.
        protocols &= ~(SslProtocols.Tls | SslProtocols.Tls11);
#pragma warning restore SYSLIB0039
        var minimum = protocols.HasFlag(SslProtocols.Tls12) || protocols == SslProtocols.None ? LibSsl.TLS1_2_VERSION : LibSsl.TLS1_3_VERSION;
        var maximum = protocols.HasFlag(SslProtocols.Tls13) || protocols == SslProtocols.None ? LibSsl.TLS1_3_VERSION : LibSsl.TLS1_2_VERSION;
        return (minimum, maximum);
    }

    private static nint DecodeCertificate(ReadOnlySpan<byte> der)
    {
        nint x509;
        fixed (byte* data = der)
        {
            var cursor = data;
            x509 = LibSsl.DecodeX509(0, &cursor, der.Length);
        }

        Require(x509 != 0, "certificate");
        return x509;
    }

    private static void Require(bool done, string what)
    {
        if (!done)
        {
            throw Failure(what);
        }
    }

    private static CryptographicException Failure(string what) =>
        new($"OpenSSL refused the {what}: {LibSsl.TakeError() ?? "no reason given"}.");
}
