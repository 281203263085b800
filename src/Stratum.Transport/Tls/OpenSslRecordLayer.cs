using System.Net.Sockets;
using System.Runtime.InteropServices;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Native;

namespace Stratum.Transport.Tls;

/// <summary>
/// The record layer of a TLS connection whose handshake finished (in the runtime's <c>SslStream</c> or in
/// <see cref="OpenSslServerHandshake"/>), driven here with
/// OpenSSL on the connection's own buffers, as nginx does: ciphertext is received into the reader's array and
/// decrypted back into it, plaintext is encrypted into an array that is sent as it is. The stream, its pipes and
/// their copies are not used again for this connection.
/// </summary>
/// <remarks>
/// The runtime gives OpenSSL two memory BIOs; this class feeds the read BIO and drains the write BIO, as the
/// runtime does. Reads and writes come from different threads at times, so both hold one lock: an <c>SSL*</c>
/// must not be used by two threads at once. Output OpenSSL makes while reading (a key update's answer) waits in
/// the write BIO and goes out before the next record written, as RFC 8446 §4.6.3 asks.
/// </remarks>
internal sealed unsafe class OpenSslRecordLayer : IDisposable
{
    private readonly SafeHandle _handle;
    private readonly nint _ssl;
    private readonly nint _input;
    private readonly nint _output;
    private readonly Lock _gate = new();
    private bool _released;
    private bool _closeNotified;

    private OpenSslRecordLayer(SafeHandle handle, nint ssl, nint input, nint output)
    {
        _handle = handle;
        _ssl = ssl;
        _input = input;
        _output = output;
    }

    /// <summary>True while OpenSSL may hold records still to decrypt: the last decrypt stopped because the buffer was full.</summary>
    public bool HasBufferedInput { get; private set; }

    /// <summary>True once a record could not be decrypted; the connection is over.</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// Holds <paramref name="ssl"/> (a reference on it until <see cref="Dispose"/>), or null when it does not read and
    /// write memory BIOs as the runtime's <c>SslStream</c> sets it up on Linux.
    /// </summary>
    public static OpenSslRecordLayer? TryCreate(SafeHandle ssl)
    {
        var added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            var handle = ssl.DangerousGetHandle();
            var input = LibSsl.GetReadBio(handle);
            var output = LibSsl.GetWriteBio(handle);
            if (input == 0 || output == 0 || LibSsl.BioMethodType(input) != LibSsl.BIO_TYPE_MEM || LibSsl.BioMethodType(output) != LibSsl.BIO_TYPE_MEM)
            {
                ssl.DangerousRelease();
                return null;
            }

            // nginx's stance: a renegotiation (TLS 1.2) would run the runtime's certificate callbacks from here.
            LibSsl.SetOptions(handle, LibSsl.SSL_OP_NO_RENEGOTIATION);

            // A record without data (a key update) must not end a read while records are queued behind it.
            // Idle miners hold no record buffers (nginx and HAProxy set the same).
            LibSsl.Control(handle, LibSsl.SSL_CTRL_MODE, LibSsl.SSL_MODE_AUTO_RETRY | LibSsl.SSL_MODE_RELEASE_BUFFERS, 0);

            // A handshake driven here may have left the client's first records (sent right behind its Finished) in
            // the read BIO: the first read decrypts them without waiting for the socket.
            return new OpenSslRecordLayer(ssl, handle, input, output)
            {
                HasBufferedInput = LibSsl.Pending(handle) > 0 || LibSsl.BioControl(input, LibSsl.BIO_CTRL_PENDING, 0, 0) > 0,
            };
        }
        catch (Exception ex) when (ex is ObjectDisposedException or DllNotFoundException or EntryPointNotFoundException)
        {
            if (added)
            {
                ssl.DangerousRelease();
            }

            return null;
        }
    }

    /// <summary>Hands OpenSSL ciphertext that was received before the record layer was taken over.</summary>
    public void Feed(ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            fixed (byte* data = ciphertext)
            {
                Failed |= !WriteInput(data, ciphertext.Length);
            }

            HasBufferedInput = true;
        }
    }

    /// <summary>
    /// Decrypts into <paramref name="buffer"/> what OpenSSL holds and what <paramref name="socket"/> has, receiving
    /// the ciphertext into the same buffer first. Returns the plaintext bytes, 0 at the end of the stream (the
    /// peer's close_notify or FIN), or -1 with <paramref name="error"/>: <see cref="SocketError.WouldBlock"/> when
    /// nothing can be decrypted until the socket's next event.
    /// </summary>
    public int Decrypt(Span<byte> buffer, EpollSocket socket, out SocketError error)
    {
        lock (_gate)
        {
            if (_released)
            {
                error = SocketError.OperationAborted;
                return -1;
            }

            if (Failed)
            {
                error = SocketError.ConnectionReset;
                return -1;
            }

            fixed (byte* data = buffer)
            {
                var total = 0;
                var ended = _closeNotified;
                LibSsl.ClearErrors();
                while (total < buffer.Length && !ended)
                {
                    // With nothing to decrypt, SSL_read would only set up a record buffer to hold while idle.
                    if (LibSsl.Pending(_ssl) > 0 || LibSsl.BioControl(_input, LibSsl.BIO_CTRL_PENDING, 0, 0) > 0)
                    {
                        var read = LibSsl.Read(_ssl, data + total, buffer.Length - total);
                        if (read > 0)
                        {
                            total += read;
                            continue;
                        }

                        var code = LibSsl.GetError(_ssl, read);
                        if (code == LibSsl.SSL_ERROR_ZERO_RETURN)
                        {
                            _closeNotified = ended = true;
                            break;
                        }

                        if (code != LibSsl.SSL_ERROR_WANT_READ)
                        {
                            LibSsl.ClearErrors();
                            Failed = true;
                            break;
                        }
                    }

                    if (!socket.IsReadable)
                    {
                        break;
                    }

                    // The free part of the buffer takes the ciphertext; OpenSSL copies it, so it is free again.
                    var received = socket.Receive(buffer[total..], out var receiveError);
                    if (received > 0)
                    {
                        if (WriteInput(data + total, received))
                        {
                            continue;
                        }

                        Failed = true;
                        break;
                    }

                    if (received < 0 && receiveError != SocketError.WouldBlock && total == 0)
                    {
                        HasBufferedInput = false;
                        error = receiveError;
                        return -1;
                    }

                    // The end of the stream (or an error) is seen again by the next call, once this plaintext is read.
                    ended = received == 0;
                    break;
                }

                HasBufferedInput = total == buffer.Length;
                if (total > 0)
                {
                    error = SocketError.Success;
                    return total;
                }

                if (Failed)
                {
                    error = SocketError.ConnectionReset;
                    return -1;
                }

                error = ended ? SocketError.Success : SocketError.WouldBlock;
                return ended ? 0 : -1;
            }
        }
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into a pooled array that holds the
    /// records to send (after any output OpenSSL made while reading), of <paramref name="encrypted"/> bytes.
    /// </summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, out int encrypted)
    {
        var length = plaintext.Length;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            fixed (byte* data = plaintext)
            {
                LibSsl.ClearErrors();
                var written = LibSsl.Write(_ssl, data, length);
                if (written != length)
                {
                    var code = LibSsl.GetError(_ssl, written);
                    LibSsl.ClearErrors();
                    throw new IOException($"The TLS record could not be written (OpenSSL error {code}).");
                }
            }

            encrypted = (int)LibSsl.BioControl(_output, LibSsl.BIO_CTRL_PENDING, 0, 0);
            var records = SocketBufferPool.Rent(encrypted);
            fixed (byte* data = records)
            {
                if (LibSsl.BioRead(_output, data, encrypted) != encrypted)
                {
                    SocketBufferPool.Return(records);
                    throw new IOException("OpenSSL's output could not be read.");
                }
            }

            return records;
        }
    }

    /// <summary>False only when the memory BIO could not grow to take the bytes.</summary>
    private bool WriteInput(byte* data, int length) => LibSsl.BioWrite(_input, data, length) == length;

    /// <summary>Lets the OpenSSL connection go (it is freed once its stream is disposed too).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            _handle.DangerousRelease();
        }
    }
}
