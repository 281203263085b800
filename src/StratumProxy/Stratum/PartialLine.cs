using System.Buffers;

namespace StratumProxy.Stratum;

/// <summary>
/// The start of a line whose end has not arrived yet, kept between two receives in a pooled array that goes back
/// to the pool as soon as the line is whole, so a session between lines holds nothing.
/// </summary>
internal struct PartialLine : IDisposable
{
    private byte[]? _bytes;

    public int Length { get; private set; }

    /// <summary>Keeps a copy of <paramref name="bytes"/> (the unterminated tail of a receive).</summary>
    public void Keep(ReadOnlySpan<byte> bytes)
    {
        if (_bytes is null || _bytes.Length < bytes.Length)
        {
            Release();
            _bytes = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length, 256));
        }

        bytes.CopyTo(_bytes);
        Length = bytes.Length;
    }

    /// <summary>Copies what is kept to the start of <paramref name="destination"/>, forgets it and returns its length.</summary>
    public int MoveTo(Span<byte> destination)
    {
        var length = Length;
        if (length > 0)
        {
            _bytes.AsSpan(0, length).CopyTo(destination);
            Length = 0;
            Release();
        }

        return length;
    }

    public void Dispose() => Release();

    private void Release()
    {
        if (_bytes is not null)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = null;
        }
    }
}
