using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using Stratum.Transport.Native;

namespace Stratum.Transport.Tls;

/// <summary>
/// The server side of one TLS handshake, driven on OpenSSL over two memory BIOs: the caller hands in the bytes it
/// received and sends what <see cref="ReadOutput"/> gives, until <see cref="Completed"/>. The finished connection
/// then goes to the record layer (<see cref="ITlsRecordLayerFeature.TryTakeOverRecords"/>) with whatever the
/// client sent after its Finished still in the read BIO. One caller at a time.
/// </summary>
public sealed unsafe class OpenSslServerHandshake : IDisposable
{
    private static readonly Action<nint> FreeConnection = LibSsl.Free;
    private readonly OpenSslHandle _connection;
    private readonly nint _ssl;
    private readonly nint _input;
    private readonly nint _output;

    private OpenSslServerHandshake(OpenSslHandle connection, nint input, nint output)
    {
        _connection = connection;
        _ssl = connection.DangerousGetHandle();
        _input = input;
        _output = output;
    }

    /// <summary>The OpenSSL connection (<c>SSL*</c>); freed once this object and every other holder let it go.</summary>
    public SafeHandle Connection => _connection;

    /// <summary>True once the handshake finished; the connection is ready for records.</summary>
    public bool Completed { get; private set; }

    /// <summary>Why the handshake failed, as OpenSSL says it; null while it has not.</summary>
    public string? Failure { get; private set; }

    /// <summary>The protocol version agreed (meaningful once <see cref="Completed"/>).</summary>
    public SslProtocols Protocol => LibSsl.Version(_ssl) switch
    {
        LibSsl.TLS1_3_VERSION => SslProtocols.Tls13,
        LibSsl.TLS1_2_VERSION => SslProtocols.Tls12,
        _ => SslProtocols.None,
    };

    /// <summary>Bytes OpenSSL wrote for the peer (its flight, or an alert) and not yet taken.</summary>
    public int PendingOutput => (int)LibSsl.BioControl(_output, LibSsl.BIO_CTRL_PENDING, 0, 0);

    internal static OpenSslServerHandshake Start(SafeHandle context)
    {
        var added = false;
        try
        {
            context.DangerousAddRef(ref added);
            LibSsl.ClearErrors();
            var ssl = LibSsl.New(context.DangerousGetHandle());
            if (ssl == 0)
            {
                throw new CryptographicException($"OpenSSL could not start a connection: {LibSsl.TakeError() ?? "no reason given"}.");
            }

            var connection = new OpenSslHandle(ssl, FreeConnection);
            var input = LibSsl.BioNew(LibSsl.BioMemoryMethod());
            var output = LibSsl.BioNew(LibSsl.BioMemoryMethod());
            if (input == 0 || output == 0)
            {
                LibSsl.BioFree(input);
                LibSsl.BioFree(output);
                connection.Dispose();
                throw new CryptographicException("OpenSSL could not allocate the connection's buffers.");
            }

            // The connection owns both BIOs from here and frees them with itself.
            LibSsl.SetBio(ssl, input, output);
            LibSsl.SetAcceptState(ssl);
            return new OpenSslServerHandshake(connection, input, output);
        }
        finally
        {
            if (added)
            {
                context.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Hands OpenSSL <paramref name="received"/> and takes the handshake as far as the bytes so far allow. False
    /// when it failed (<see cref="Failure"/> says why; an alert may wait in <see cref="PendingOutput"/>).
    /// </summary>
    public bool Advance(ReadOnlySequence<byte> received)
    {
        if (Completed || Failure is not null)
        {
            return Failure is null;
        }

        foreach (var segment in received)
        {
            fixed (byte* data = segment.Span)
            {
                if (segment.Length > 0 && LibSsl.BioWrite(_input, data, segment.Length) != segment.Length)
                {
                    Failure = "the handshake's bytes could not be buffered";
                    return false;
                }
            }
        }

        LibSsl.ClearErrors();
        var result = LibSsl.DoHandshake(_ssl);
        if (result == 1)
        {
            Completed = true;
            return true;
        }

        var code = LibSsl.GetError(_ssl, result);
        if (code == LibSsl.SSL_ERROR_WANT_READ)
        {
            return true;
        }

        Failure = LibSsl.TakeError() ?? $"OpenSSL error {code}";
        return false;
    }

    /// <summary>Moves up to <paramref name="destination"/>'s length of OpenSSL's output into it; returns the bytes moved.</summary>
    public int ReadOutput(Span<byte> destination)
    {
        fixed (byte* data = destination)
        {
            var read = LibSsl.BioRead(_output, data, destination.Length);
            return read > 0 ? read : 0;
        }
    }

    /// <summary>Lets the connection go; the record layer keeps its own reference when it took the connection over.</summary>
    public void Dispose() => _connection.Dispose();
}
