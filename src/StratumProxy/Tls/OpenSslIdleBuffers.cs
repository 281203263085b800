using System.Net.Security;
using System.Runtime.InteropServices;

namespace StratumProxy.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers while it is idle (<c>SSL_MODE_RELEASE_BUFFERS</c>, as nginx
/// and HAProxy set): about 34 KB per idle miner otherwise. The runtime gives no way to set an OpenSSL mode, so the
/// mode is set on the connection <see cref="OpenSslConnection"/> finds; where it finds none, nothing is done.
/// </summary>
internal static partial class OpenSslIdleBuffers
{
    private const int SslCtrlMode = 33;
    private const long SslModeReleaseBuffers = 0x10;

    public static bool IsAvailable => OpenSslConnection.IsAvailable;

    /// <summary>True when the mode was set on <paramref name="stream"/>'s connection.</summary>
    public static bool TryRelease(SslStream stream)
    {
        if (OpenSslConnection.Find(stream) is not { } ssl)
        {
            return false;
        }

        var added = false;
        try
        {
            ssl.DangerousAddRef(ref added);
            var mode = SslCtrl(ssl.DangerousGetHandle(), SslCtrlMode, SslModeReleaseBuffers, IntPtr.Zero);
            return (mode & SslModeReleaseBuffers) != 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    [LibraryImport("libssl.so.3", EntryPoint = "SSL_ctrl")]
    private static partial long SslCtrl(IntPtr ssl, int command, long larg, IntPtr parg);
}
