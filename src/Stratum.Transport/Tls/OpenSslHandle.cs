using System.Runtime.InteropServices;

namespace Stratum.Transport.Tls;

/// <summary>
/// An OpenSSL object the proxy created (a context or a connection), freed by the function for its kind once every
/// holder let it go. OpenSSL counts its own references between them: a connection keeps its context alive.
/// </summary>
internal sealed class OpenSslHandle : SafeHandle
{
    private readonly Action<nint> _free;

    public OpenSslHandle(nint value, Action<nint> free)
        : base(0, ownsHandle: true)
    {
        _free = free;
        SetHandle(value);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        _free(handle);
        return true;
    }
}
