using System.Runtime.InteropServices;

namespace Stratum.Transport.Native;

/// <summary>
/// A socket descriptor the event loop opened itself. Every system call holds a reference to it, so closing
/// while another thread is inside <c>recv</c> or <c>send</c> waits for that call instead of letting the number
/// be reused under it.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int descriptor)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(descriptor);

    public override bool IsInvalid => handle == new IntPtr(-1);

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
