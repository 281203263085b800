using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace StratumProxy.Tls;

/// <summary>
/// Lets OpenSSL free a TLS connection's record buffers while it is idle (<c>SSL_MODE_RELEASE_BUFFERS</c>, as nginx
/// and HAProxy set): about 34 KB per idle miner otherwise. The runtime gives no way to set an OpenSSL mode, so the
/// connection's <c>SSL*</c> is found through the runtime's private fields; when they are not where they were
/// (another runtime), nothing is done and <see cref="IsAvailable"/> says so.
/// </summary>
internal static partial class OpenSslIdleBuffers
{
    private const int SslCtrlMode = 33;
    private const long SslModeReleaseBuffers = 0x10;

    // On Linux the stream's security context is the OpenSSL connection itself (a SafeSslHandle around SSL*).
    private static readonly FieldInfo? s_securityContext =
        typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    public static bool IsAvailable { get; } =
        OperatingSystem.IsLinux() && s_securityContext is not null && typeof(SafeHandle).IsAssignableFrom(s_securityContext.FieldType);

    /// <summary>True when the mode was set on <paramref name="stream"/>'s connection.</summary>
    public static bool TryRelease(SslStream stream)
    {
        if (!IsAvailable || s_securityContext!.GetValue(stream) is not SafeHandle ssl || ssl.GetType().Name != "SafeSslHandle")
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
