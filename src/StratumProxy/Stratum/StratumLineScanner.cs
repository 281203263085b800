using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Stratum.Protocol.JsonRpc;

namespace StratumProxy.Stratum;

/// <summary>
/// Judges a line held in one span and reads its <see cref="StratumMessage"/> in a single pass, with the verdict and the
/// fields of the <see cref="System.Text.Json.Utf8JsonReader"/> pass of <see cref="StratumMessageInspector"/>: exactly one
/// JSON object with optional JSON whitespace around it, RFC 8259 as the reader's defaults (no comments, no trailing
/// commas, no BOM) and at most 16 nested objects and arrays counting the line's own object.
/// </summary>
/// <remarks>
/// Two quirks of the reader are kept on purpose. String bytes of 0x80 and above are not checked for valid UTF-8. A name
/// or method with escapes is compared after unescaping, as <c>Utf8JsonReader.ValueTextEquals</c> does, and when that
/// comparison gets as far as unescaping a broken <c>\u</c> surrogate the reader throws, so the line is malformed.
/// </remarks>
internal ref struct StratumLineScanner
{
    private const int MaxDepth = 16;

    // Longest unescaping shrinks a string by: "\uXXXX" (6 bytes) is at least one byte once unescaped.
    private const int MaxUnescapeShrink = 6;

    private static readonly SearchValues<byte> StringStopBytes = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private readonly ReadOnlySpan<byte> _line;
    private int _pos;

    private StratumLineScanner(ReadOnlySpan<byte> line) => _line = line;

    private enum Member : byte
    {
        Other,
        Id,
        Method,
        Result,
        Error,
        Malformed,
    }

    private enum TextMatch : byte
    {
        No,
        Yes,
        Malformed,
    }

    /// <summary>False, with <paramref name="message"/> left default, when the line is not one well-formed JSON object.</summary>
    public static bool TryScan(ReadOnlySpan<byte> line, out StratumMessage message)
    {
        message = default;
        var scanner = new StratumLineScanner(line);
        if (scanner.TryScanLine(ref message))
        {
            return true;
        }

        message = default;
        return false;
    }

    private bool TryScanLine(ref StratumMessage message)
    {
        SkipWhiteSpace();
        if (Peek() != '{')
        {
            return false;
        }

        _pos++;
        SkipWhiteSpace();
        if (Peek() == '}')
        {
            _pos++;
        }
        else
        {
            while (true)
            {
                if (!TryReadName(out var name, out var escaped) || !TryReadMember(ClassifyMember(name, escaped), ref message))
                {
                    return false;
                }

                if (!TryReadSeparator('}', out var closed))
                {
                    return false;
                }

                if (closed)
                {
                    break;
                }
            }
        }

        SkipWhiteSpace();
        return _pos == _line.Length;
    }

    private bool TryReadMember(Member member, ref StratumMessage message)
    {
        SkipWhiteSpace();
        switch (member)
        {
            case Member.Id:
                return TryReadId(ref message);
            case Member.Method:
                return TryReadMethod(ref message);
            case Member.Result:
                message.ResultIsTrue = Peek() == 't';
                return TrySkipValue(1);
            case Member.Error:
                return TryReadError(ref message);
            case Member.Other:
                return TrySkipValue(1);
            default:
                return false;
        }
    }

    private bool TryReadId(ref StratumMessage message)
    {
        switch (Peek())
        {
            case '"':
                if (!TryReadString(out var text, out _))
                {
                    return false;
                }

                message.HasId = true;
                message.IdKey = RequestIdHash.Of(text, isString: true);
                return true;
            case 'n':
                return TryReadLiteral("null"u8);
            case 't' or 'f' or '{' or '[':
                message.HasId = true;
                message.IdKey = long.MinValue;
                return TrySkipValue(1);
            default:
                if (!TryReadNumber(out var number))
                {
                    return false;
                }

                message.HasId = true;
                message.IdKey = Utf8Parser.TryParse(number, out long value, out var used) && used == number.Length
                    ? value
                    : RequestIdHash.Of(number, isString: false);
                return true;
        }
    }

    private bool TryReadMethod(ref StratumMessage message)
    {
        if (Peek() != '"')
        {
            message.Method = StratumMethod.Other;
            return TrySkipValue(1);
        }

        return TryReadString(out var name, out var escaped) && TryClassifyMethod(name, escaped, out message.Method);
    }

    private bool TryReadError(ref StratumMessage message)
    {
        switch (Peek())
        {
            case 'n':
                return TryReadLiteral("null"u8);
            case '[':
                message.HasError = true;
                _pos++;
                SkipWhiteSpace();
                if (Peek() == ']')
                {
                    _pos++;
                    return true;
                }

                if (!TryReadErrorCode(isCode: true, ref message))
                {
                    return false;
                }

                while (true)
                {
                    if (!TryReadSeparator(']', out var closed))
                    {
                        return false;
                    }

                    if (closed)
                    {
                        return true;
                    }

                    if (!TrySkipValue(2))
                    {
                        return false;
                    }
                }

            case '{':
                message.HasError = true;
                _pos++;
                SkipWhiteSpace();
                if (Peek() == '}')
                {
                    _pos++;
                    return true;
                }

                while (true)
                {
                    if (!TryReadName(out var name, out var escaped))
                    {
                        return false;
                    }

                    var isCode = TextEquals(name, escaped, "code"u8);
                    if (isCode == TextMatch.Malformed || !TryReadErrorCode(isCode == TextMatch.Yes, ref message))
                    {
                        return false;
                    }

                    if (!TryReadSeparator('}', out var closed))
                    {
                        return false;
                    }

                    if (closed)
                    {
                        return true;
                    }
                }

            default:
                message.HasError = true;
                return TrySkipValue(1);
        }
    }

    /// <summary>A value inside an error; a number that fits an int sets the code when it is in the code's place.</summary>
    private bool TryReadErrorCode(bool isCode, ref StratumMessage message)
    {
        SkipWhiteSpace();
        if (!isCode || Peek() is not ('-' or (>= '0' and <= '9')))
        {
            return TrySkipValue(2);
        }

        if (!TryReadNumber(out var number))
        {
            return false;
        }

        if (Utf8Parser.TryParse(number, out int code, out var used) && used == number.Length)
        {
            message.ErrorCode = code;
        }

        return true;
    }

    /// <summary>
    /// Skips one value of any shape, checking it, where <paramref name="depth"/> objects and arrays are already open.
    /// </summary>
    private bool TrySkipValue(int depth)
    {
        // Bit n tells whether the container opened at nesting n is an object.
        var objects = 0u;
        var nesting = 0;
        while (true)
        {
            SkipWhiteSpace();
            var first = Peek();
            switch (first)
            {
                case '"':
                    if (!TryReadString(out _, out _))
                    {
                        return false;
                    }

                    break;
                case '{' or '[':
                    if (depth + nesting >= MaxDepth)
                    {
                        return false;
                    }

                    _pos++;
                    var isObject = first == '{';
                    objects = isObject ? objects | (1u << nesting) : objects & ~(1u << nesting);
                    nesting++;
                    SkipWhiteSpace();
                    if (Peek() == (isObject ? '}' : ']'))
                    {
                        _pos++;
                        nesting--;
                        break;
                    }

                    if (isObject && !TryReadName(out _, out _))
                    {
                        return false;
                    }

                    continue;
                case 't':
                    if (!TryReadLiteral("true"u8))
                    {
                        return false;
                    }

                    break;
                case 'f':
                    if (!TryReadLiteral("false"u8))
                    {
                        return false;
                    }

                    break;
                case 'n':
                    if (!TryReadLiteral("null"u8))
                    {
                        return false;
                    }

                    break;
                default:
                    if (!TryReadNumber(out _))
                    {
                        return false;
                    }

                    break;
            }

            // After a value: close what ends here, then go on to the next element or member.
            while (true)
            {
                if (nesting == 0)
                {
                    return true;
                }

                var inObject = (objects & (1u << (nesting - 1))) != 0;
                if (!TryReadSeparator(inObject ? '}' : ']', out var closed))
                {
                    return false;
                }

                if (!closed)
                {
                    if (inObject && !TryReadName(out _, out _))
                    {
                        return false;
                    }

                    break;
                }

                nesting--;
            }
        }
    }

    /// <summary>After a value in a container: a comma (another value follows) or the container's closing byte.</summary>
    private bool TryReadSeparator(char close, out bool closed)
    {
        SkipWhiteSpace();
        var next = Peek();
        closed = next == close;
        if (closed || next == ',')
        {
            _pos++;
            return true;
        }

        return false;
    }

    /// <summary>A member's name and the colon after it.</summary>
    private bool TryReadName(out ReadOnlySpan<byte> name, out bool escaped)
    {
        SkipWhiteSpace();
        if (Peek() != '"' || !TryReadString(out name, out escaped))
        {
            name = default;
            escaped = false;
            return false;
        }

        SkipWhiteSpace();
        if (Peek() != ':')
        {
            return false;
        }

        _pos++;
        return true;
    }

    /// <summary>A string from its opening quote; <paramref name="text"/> is the bytes between the quotes, escapes as written.</summary>
    private bool TryReadString(out ReadOnlySpan<byte> text, out bool escaped)
    {
        var start = _pos + 1;
        var rest = _line[start..];
        var end = rest.IndexOfAny(StringStopBytes);
        text = default;
        escaped = false;
        if (end < 0)
        {
            return false;
        }

        if (rest[end] != '"')
        {
            escaped = true;
            if (!TryFindClosingQuote(rest, ref end))
            {
                return false;
            }
        }

        text = rest[..end];
        _pos = start + end + 1;
        return true;
    }

    /// <summary>From a backslash or control byte to the closing quote, checking every escape.</summary>
    private static bool TryFindClosingQuote(ReadOnlySpan<byte> rest, ref int index)
    {
        var i = index;
        while (true)
        {
            var b = rest[i];
            if (b == '"')
            {
                index = i;
                return true;
            }

            // A raw control byte, or a backslash at the very end.
            if (b != '\\' || ++i >= rest.Length)
            {
                return false;
            }

            switch (rest[i])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i++;
                    break;
                case (byte)'u':
                    if (rest.Length - i < 5 || !IsHex(rest[i + 1]) || !IsHex(rest[i + 2]) || !IsHex(rest[i + 3]) || !IsHex(rest[i + 4]))
                    {
                        return false;
                    }

                    i += 5;
                    break;
                default:
                    return false;
            }

            var next = rest[i..].IndexOfAny(StringStopBytes);
            if (next < 0)
            {
                return false;
            }

            i += next;
        }
    }

    /// <summary>A number as the JSON grammar has it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
    private bool TryReadNumber(out ReadOnlySpan<byte> number)
    {
        var line = _line;
        var start = _pos;
        var i = start;
        number = default;
        if (i < line.Length && line[i] == '-')
        {
            i++;
        }

        if (i >= line.Length || !IsDigit(line[i]))
        {
            return false;
        }

        if (line[i++] != '0')
        {
            i = SkipDigits(line, i);
        }

        if (i < line.Length && line[i] == '.')
        {
            if (++i >= line.Length || !IsDigit(line[i]))
            {
                return false;
            }

            i = SkipDigits(line, i);
        }

        if (i < line.Length && (line[i] | 0x20) == 'e')
        {
            if (++i < line.Length && line[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            if (i >= line.Length || !IsDigit(line[i]))
            {
                return false;
            }

            i = SkipDigits(line, i);
        }

        number = line[start..i];
        _pos = i;
        return true;
    }

    private bool TryReadLiteral(ReadOnlySpan<byte> literal)
    {
        if (!_line[_pos..].StartsWith(literal))
        {
            return false;
        }

        _pos += literal.Length;
        return true;
    }

    private void SkipWhiteSpace()
    {
        var line = _line;
        var i = _pos;
        while (i < line.Length && line[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        _pos = i;
    }

    /// <summary>The byte at the position, or -1 at the end of the line.</summary>
    private readonly int Peek() => (uint)_pos < (uint)_line.Length ? _line[_pos] : -1;

    private static int SkipDigits(ReadOnlySpan<byte> line, int i)
    {
        while (i < line.Length && IsDigit(line[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 'f' - 'a';

    private static Member ClassifyMember(ReadOnlySpan<byte> name, bool escaped)
    {
        if (!escaped)
        {
            // The common case: plain names, told apart by length first.
            return name.Length switch
            {
                2 when name.SequenceEqual("id"u8) => Member.Id,
                6 when name.SequenceEqual("method"u8) => Member.Method,
                6 when name.SequenceEqual("result"u8) => Member.Result,
                5 when name.SequenceEqual("error"u8) => Member.Error,
                _ => Member.Other,
            };
        }

        // In the order the reader pass compares them: an earlier comparison may be the one that finds a broken escape.
        for (var member = Member.Id; member <= Member.Error; member++)
        {
            var match = EscapedTextEquals(name, member switch
            {
                Member.Id => "id"u8,
                Member.Method => "method"u8,
                Member.Result => "result"u8,
                _ => "error"u8,
            });
            if (match != TextMatch.No)
            {
                return match == TextMatch.Yes ? member : Member.Malformed;
            }
        }

        return Member.Other;
    }

    private static bool TryClassifyMethod(ReadOnlySpan<byte> name, bool escaped, out StratumMethod method)
    {
        for (var i = 0; i < KnownMethodCount; i++)
        {
            var match = TextEquals(name, escaped, KnownMethodName(i));
            if (match != TextMatch.No)
            {
                method = match == TextMatch.Yes ? KnownMethod(i) : StratumMethod.None;
                return match == TextMatch.Yes;
            }
        }

        method = StratumMethod.Other;
        return true;
    }

    private const int KnownMethodCount = 10;

    // The order of the reader pass, most frequent first.
    private static ReadOnlySpan<byte> KnownMethodName(int i) => i switch
    {
        0 => StratumMethods.Submit,
        1 => StratumMethods.Notify,
        2 => StratumMethods.SetDifficulty,
        3 => StratumMethods.Subscribe,
        4 => StratumMethods.Authorize,
        5 => StratumMethods.Configure,
        6 => StratumMethods.ExtranonceSubscribe,
        7 => StratumMethods.SuggestDifficulty,
        8 => StratumMethods.SetExtranonce,
        _ => StratumMethods.ClientReconnect,
    };

    private static StratumMethod KnownMethod(int i) => i switch
    {
        0 => StratumMethod.Submit,
        1 => StratumMethod.Notify,
        2 => StratumMethod.SetDifficulty,
        3 => StratumMethod.Subscribe,
        4 => StratumMethod.Authorize,
        5 => StratumMethod.Configure,
        6 => StratumMethod.ExtranonceSubscribe,
        7 => StratumMethod.SuggestDifficulty,
        8 => StratumMethod.SetExtranonce,
        _ => StratumMethod.Reconnect,
    };

    private static TextMatch TextEquals(ReadOnlySpan<byte> text, bool escaped, ReadOnlySpan<byte> other) =>
        escaped ? EscapedTextEquals(text, other) : text.SequenceEqual(other) ? TextMatch.Yes : TextMatch.No;

    /// <summary>
    /// <c>Utf8JsonReader.ValueTextEquals</c> on an escaped string: the same shortcuts on length and on the bytes before
    /// the first backslash, and only past them the unescaping that finds a broken surrogate.
    /// </summary>
    private static TextMatch EscapedTextEquals(ReadOnlySpan<byte> text, ReadOnlySpan<byte> other)
    {
        if (text.Length < other.Length || text.Length / MaxUnescapeShrink > other.Length)
        {
            return TextMatch.No;
        }

        var backslash = text.IndexOf((byte)'\\');
        if (!other.StartsWith(text[..backslash]))
        {
            return TextMatch.No;
        }

        var rest = text[backslash..];
        var expected = other[backslash..];
        var equal = true;
        var written = 0;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < rest.Length;)
        {
            if (rest[i] != '\\')
            {
                equal &= written < expected.Length && expected[written] == rest[i];
                written++;
                i++;
                continue;
            }

            var escape = rest[i + 1];
            i += 2;
            if (escape != 'u')
            {
                var unescaped = escape switch
                {
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    _ => escape,
                };
                equal &= written < expected.Length && expected[written] == unescaped;
                written++;
                continue;
            }

            var scalar = Hex4(rest[i..]);
            i += 4;
            if (scalar is >= 0xD800 and <= 0xDFFF)
            {
                if (scalar >= 0xDC00 || rest.Length - i < 6 || rest[i] != '\\' || rest[i + 1] != 'u')
                {
                    return TextMatch.Malformed;
                }

                var low = Hex4(rest[(i + 2)..]);
                i += 6;
                if (low is < 0xDC00 or > 0xDFFF)
                {
                    return TextMatch.Malformed;
                }

                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00);
            }

            var length = new Rune(scalar).EncodeToUtf8(utf8);
            for (var j = 0; j < length; j++)
            {
                equal &= written < expected.Length && expected[written] == utf8[j];
                written++;
            }
        }

        return equal && written == expected.Length ? TextMatch.Yes : TextMatch.No;
    }

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        var value = 0;
        for (var i = 0; i < 4; i++)
        {
            var b = hex[i];
            value = (value << 4) | (IsDigit(b) ? b - '0' : (b | 0x20) - 'a' + 10);
        }

        return value;
    }
}
