using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace Stratum.Transport;

/// <summary>
/// Lets a TLS stage hand the connection the record layer of a finished handshake: the connection's own pipes then
/// carry plaintext, decrypted and encrypted with OpenSSL on the socket's loop, without the stream layers (and
/// their copies) a TLS stream puts above them.
/// </summary>
public interface ITlsRecordLayerFeature
{
    /// <summary>
    /// Takes over <paramref name="ssl"/>, an OpenSSL connection (<c>SSL*</c>) whose handshake is finished and whose
    /// records go through memory BIOs, as the runtime's <c>SslStream</c> sets them up on Linux and
    /// <see cref="Tls.OpenSslServerHandshake"/> does. Returns the
    /// connection's own pipes, which are plaintext from now on, or null when it cannot (the stage's stream then
    /// goes on serving). What the connection's reader holds unread must be the records after the handshake.
    /// </summary>
    IDuplexPipe? TryTakeOverRecords(SafeHandle ssl);
}
