using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace StratumProxy.Tls;

/// <summary>
/// The OpenSSL connection (<c>SSL*</c>) under an <see cref="SslStream"/>. The runtime does not expose it; on Linux
/// the stream's private security context is that connection itself (a <c>SafeSslHandle</c>). When the field is
/// not where it was (another runtime), <see cref="IsAvailable"/> says so and nothing is found.
/// </summary>
internal static class OpenSslConnection
{
    private static readonly FieldInfo? s_securityContext =
        typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);

    public static bool IsAvailable { get; } =
        OperatingSystem.IsLinux() && s_securityContext is not null && typeof(SafeHandle).IsAssignableFrom(s_securityContext.FieldType);

    /// <summary>The stream's <c>SafeSslHandle</c>, or null before the handshake and where it cannot be found.</summary>
    public static SafeHandle? Find(SslStream stream) =>
        IsAvailable && s_securityContext!.GetValue(stream) is SafeHandle { IsInvalid: false, IsClosed: false } ssl && ssl.GetType().Name == "SafeSslHandle"
            ? ssl
            : null;
}
