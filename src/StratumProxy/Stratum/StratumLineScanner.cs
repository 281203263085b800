using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace StratumProxy.Stratum;

/// <summary>
/// Reads a line held in one span in a single pass, with the verdict and the fields of the
/// <see cref="System.Text.Json.Utf8JsonReader"/> passes of <see cref="StratumMessageInspector"/>. A miner line must be
/// exactly one JSON object with optional JSON whitespace around it, RFC 8259 as the reader's defaults (no comments, no
/// trailing commas, no BOM) and at most 16 nested objects and arrays counting the line's own object; a pool line is
/// judged only as far as the reader pass reads it.
/// </summary>
/// <remarks>
/// <para>
/// Two quirks of the reader are kept on purpose. String bytes of 0x80 and above are not checked for valid UTF-8. A name
/// or method with escapes is compared after unescaping, as <c>Utf8JsonReader.ValueTextEquals</c> does, and when that
/// comparison gets as far as unescaping a broken <c>\u</c> surrogate the reader throws, so the line is malformed.
/// </para>
/// <para>
/// Each step takes the position it starts from and returns the position after what it read, or <see cref="Malformed"/>:
/// the position stays in a register instead of going back and forth through memory.
/// </para>
/// </remarks>
internal static class StratumLineScanner
{
    private const int Malformed = -1;
    private const int MaxDepth = 16;

    // Unescaping shrinks a string at most by this factor: "\uXXXX" is at least one byte once unescaped.
    private const int MaxUnescapeShrink = 6;

    private static readonly SearchValues<byte> StringStopBytes = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private enum Member : byte
    {
        Other,
        Id,
        Method,
        Params,
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
        if (ScanObject(line, ref message))
        {
            return true;
        }

        message = default;
        return false;
    }

    /// <summary>
    /// The scan behind <see cref="StratumMessageInspector.TryInspectPoolLine(ReadOnlySpan{byte}, out StratumMessage, out ReadOnlySpan{byte})"/>: stops where the reader pass stops, and
    /// gives <c>params[0]</c> as its place in the line (<paramref name="firstParamLength"/> 0 when there is none).
    /// </summary>
    public static bool TryScanPoolLine(ReadOnlySpan<byte> line, out StratumMessage message, out int firstParamStart, out int firstParamLength)
    {
        message = default;
        firstParamStart = 0;
        firstParamLength = 0;
        if (ScanPoolObject(line, ref message, ref firstParamStart, ref firstParamLength))
        {
            return true;
        }

        message = default;
        firstParamStart = 0;
        firstParamLength = 0;
        return false;
    }

    private static bool ScanObject(ReadOnlySpan<byte> line, ref StratumMessage message)
    {
        var pos = SkipWhiteSpace(line, 0);
        if (!At(line, pos, '{'))
        {
            return false;
        }

        pos = SkipWhiteSpace(line, pos + 1);
        var closed = At(line, pos, '}');
        if (closed)
        {
            pos++;
        }

        while (!closed)
        {
            pos = ReadName(line, pos, out var name, out var escaped);
            if (pos < 0)
            {
                return false;
            }

            pos = ReadMember(line, SkipWhiteSpace(line, pos), ClassifyMember(name, escaped, poolLine: false), ref message);
            pos = ReadSeparator(line, pos, '}', out closed);
            if (pos < 0)
            {
                return false;
            }
        }

        return SkipWhiteSpace(line, pos) == line.Length;
    }

    private static bool ScanPoolObject(ReadOnlySpan<byte> line, ref StratumMessage message, ref int firstParamStart, ref int firstParamLength)
    {
        var pos = SkipWhiteSpace(line, 0);
        if (!At(line, pos, '{'))
        {
            return false;
        }

        pos = SkipWhiteSpace(line, pos + 1);
        var paramsSeen = false;
        var closed = At(line, pos, '}');
        while (!closed)
        {
            pos = ReadName(line, pos, out var name, out var escaped);
            if (pos < 0)
            {
                return false;
            }

            pos = SkipWhiteSpace(line, pos);
            switch (ClassifyMember(name, escaped, poolLine: true))
            {
                case Member.Method:
                    if (!At(line, pos, '"'))
                    {
                        message.Method = StratumMethod.Other;
                        return ReadToken(line, pos) >= 0;
                    }

                    var end = ReadString(line, pos, out var methodEscaped);
                    if (end < 0 || !TryClassifyMethod(line[(pos + 1)..(end - 1)], methodEscaped, out message.Method))
                    {
                        return false;
                    }

                    if (paramsSeen || message.Method is not (StratumMethod.Notify or StratumMethod.SetDifficulty or StratumMethod.SetExtranonce))
                    {
                        return true;
                    }

                    pos = end;
                    break;
                case Member.Params:
                    paramsSeen = true;
                    if (!At(line, pos, '['))
                    {
                        pos = SkipValue(line, pos, 1);
                        break;
                    }

                    pos = SkipWhiteSpace(line, pos + 1);
                    if (At(line, pos, ']'))
                    {
                        pos++;
                        break;
                    }

                    if (At(line, pos, '"'))
                    {
                        end = ReadString(line, pos, out var paramEscaped);
                        if (end >= 0 && !paramEscaped)
                        {
                            firstParamStart = pos + 1;
                            firstParamLength = end - pos - 2;
                        }
                    }
                    else
                    {
                        end = message.Method == StratumMethod.None ? SkipValue(line, pos, 2) : ReadToken(line, pos);
                    }

                    // When the method came first, params[0] was all it wanted: the rest of the line does not matter.
                    if (end < 0 || message.Method != StratumMethod.None)
                    {
                        return end >= 0;
                    }

                    pos = SkipArrayRest(line, end, 2);
                    break;
                case var member:
                    pos = ReadMember(line, pos, member, ref message);
                    break;
            }

            pos = ReadSeparator(line, pos, '}', out closed);
            if (pos < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static int ReadMember(ReadOnlySpan<byte> line, int pos, Member member, ref StratumMessage message)
    {
        switch (member)
        {
            case Member.Id:
                return ReadId(line, pos, ref message);
            case Member.Method:
                return ReadMethod(line, pos, ref message);
            case Member.Result:
                message.ResultIsTrue = At(line, pos, 't');
                return SkipValue(line, pos, 1);
            case Member.Error:
                return ReadError(line, pos, ref message);
            case Member.Other:
                return SkipValue(line, pos, 1);
            default:
                return Malformed;
        }
    }

    private static int ReadId(ReadOnlySpan<byte> line, int pos, ref StratumMessage message)
    {
        if ((uint)pos >= (uint)line.Length)
        {
            return Malformed;
        }

        int end;
        switch (line[pos])
        {
            case (byte)'"':
                end = ReadString(line, pos, out _);
                if (end >= 0)
                {
                    message.HasId = true;
                    message.IdKey = RequestIdHash.Of(line[(pos + 1)..(end - 1)], isString: true);
                }

                return end;
            case (byte)'n':
                return ReadLiteral(line, pos, "null"u8);
            case (byte)'t' or (byte)'f' or (byte)'{' or (byte)'[':
                message.HasId = true;
                message.IdKey = long.MinValue;
                return SkipValue(line, pos, 1);
            default:
                end = ReadNumber(line, pos);
                if (end >= 0)
                {
                    var number = line[pos..end];
                    message.HasId = true;
                    message.IdKey = Utf8Parser.TryParse(number, out long value, out var used) && used == number.Length
                        ? value
                        : RequestIdHash.Of(number, isString: false);
                }

                return end;
        }
    }

    private static int ReadMethod(ReadOnlySpan<byte> line, int pos, ref StratumMessage message)
    {
        if (!At(line, pos, '"'))
        {
            message.Method = StratumMethod.Other;
            return SkipValue(line, pos, 1);
        }

        var end = ReadString(line, pos, out var escaped);
        return end >= 0 && TryClassifyMethod(line[(pos + 1)..(end - 1)], escaped, out message.Method) ? end : Malformed;
    }

    private static int ReadError(ReadOnlySpan<byte> line, int pos, ref StratumMessage message)
    {
        if ((uint)pos >= (uint)line.Length)
        {
            return Malformed;
        }

        bool closed;
        switch (line[pos])
        {
            case (byte)'n':
                return ReadLiteral(line, pos, "null"u8);
            case (byte)'[':
                message.HasError = true;
                pos = SkipWhiteSpace(line, pos + 1);
                if (At(line, pos, ']'))
                {
                    return pos + 1;
                }

                return SkipArrayRest(line, ReadErrorValue(line, pos, isCode: true, ref message), 2);

            case (byte)'{':
                message.HasError = true;
                pos = SkipWhiteSpace(line, pos + 1);
                if (At(line, pos, '}'))
                {
                    return pos + 1;
                }

                while (true)
                {
                    pos = ReadName(line, pos, out var name, out var escaped);
                    if (pos < 0)
                    {
                        return Malformed;
                    }

                    var isCode = TextEquals(name, escaped, "code"u8);
                    if (isCode == TextMatch.Malformed)
                    {
                        return Malformed;
                    }

                    pos = ReadErrorValue(line, SkipWhiteSpace(line, pos), isCode == TextMatch.Yes, ref message);
                    pos = ReadSeparator(line, pos, '}', out closed);
                    if (pos < 0 || closed)
                    {
                        return pos;
                    }
                }

            default:
                message.HasError = true;
                return SkipValue(line, pos, 1);
        }
    }

    /// <summary>A value inside an error; a number that fits an int sets the code when it is in the code's place.</summary>
    private static int ReadErrorValue(ReadOnlySpan<byte> line, int pos, bool isCode, ref StratumMessage message)
    {
        if (!isCode || !At(line, pos, '-') && !IsDigit(line, pos))
        {
            return SkipValue(line, pos, 2);
        }

        var end = ReadNumber(line, pos);
        if (end >= 0 && Utf8Parser.TryParse(line[pos..end], out int code, out var used) && used == end - pos)
        {
            message.ErrorCode = code;
        }

        return end;
    }

    /// <summary>Checks one value of any shape where <paramref name="depth"/> objects and arrays are already open.</summary>
    private static int SkipValue(ReadOnlySpan<byte> line, int pos, int depth)
    {
        // Bit n tells whether the container opened at nesting n is an object.
        var objects = 0u;
        var nesting = 0;
        while (pos >= 0)
        {
            pos = SkipWhiteSpace(line, pos);
            if ((uint)pos >= (uint)line.Length)
            {
                return Malformed;
            }

            var first = line[pos];
            switch (first)
            {
                case (byte)'"':
                    pos = ReadString(line, pos, out _);
                    break;
                case (byte)'{' or (byte)'[':
                    if (depth + nesting >= MaxDepth)
                    {
                        return Malformed;
                    }

                    var isObject = first == '{';
                    objects = isObject ? objects | (1u << nesting) : objects & ~(1u << nesting);
                    nesting++;
                    pos = SkipWhiteSpace(line, pos + 1);
                    if (At(line, pos, isObject ? '}' : ']'))
                    {
                        pos++;
                        nesting--;
                        break;
                    }

                    if (isObject)
                    {
                        pos = ReadName(line, pos, out _, out _);
                    }

                    continue;
                case (byte)'t':
                    pos = ReadLiteral(line, pos, "true"u8);
                    break;
                case (byte)'f':
                    pos = ReadLiteral(line, pos, "false"u8);
                    break;
                case (byte)'n':
                    pos = ReadLiteral(line, pos, "null"u8);
                    break;
                default:
                    pos = ReadNumber(line, pos);
                    break;
            }

            // After a value: close what ends here, then go on to the next element or member.
            while (pos >= 0)
            {
                if (nesting == 0)
                {
                    return pos;
                }

                var inObject = (objects & (1u << (nesting - 1))) != 0;
                pos = ReadSeparator(line, pos, inObject ? '}' : ']', out var closed);
                if (!closed)
                {
                    if (inObject && pos >= 0)
                    {
                        pos = ReadName(line, pos, out _, out _);
                    }

                    break;
                }

                nesting--;
            }
        }

        return Malformed;
    }

    /// <summary>The elements after the first of an array <paramref name="depth"/> deep, and its closing bracket.</summary>
    private static int SkipArrayRest(ReadOnlySpan<byte> line, int pos, int depth)
    {
        while (true)
        {
            pos = ReadSeparator(line, pos, ']', out var closed);
            if (pos < 0 || closed)
            {
                return pos;
            }

            pos = SkipValue(line, pos, depth);
        }
    }

    /// <summary>
    /// One token where a value starts, as far as <c>Utf8JsonReader.Read</c> checks it: a whole string, the bytes of a
    /// literal, a number followed by a delimiter, or the opening byte of an object or array.
    /// </summary>
    private static int ReadToken(ReadOnlySpan<byte> line, int pos)
    {
        if ((uint)pos >= (uint)line.Length)
        {
            return Malformed;
        }

        switch (line[pos])
        {
            case (byte)'"':
                return ReadString(line, pos, out _);
            case (byte)'{' or (byte)'[':
                return pos + 1;
            case (byte)'t':
                return ReadLiteral(line, pos, "true"u8);
            case (byte)'f':
                return ReadLiteral(line, pos, "false"u8);
            case (byte)'n':
                return ReadLiteral(line, pos, "null"u8);
            default:
                var end = ReadNumber(line, pos);
                return end >= 0 && end < line.Length && line[end] is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'/'
                    ? end
                    : Malformed;
        }
    }

    /// <summary>After a value in a container: a comma (another value follows) or the container's closing byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadSeparator(ReadOnlySpan<byte> line, int pos, char close, out bool closed)
    {
        closed = false;
        if (pos < 0)
        {
            return Malformed;
        }

        pos = SkipWhiteSpace(line, pos);
        if ((uint)pos >= (uint)line.Length)
        {
            return Malformed;
        }

        var next = line[pos];
        closed = next == close;
        return closed || next == ',' ? pos + 1 : Malformed;
    }

    /// <summary>A member's name and the colon after it.</summary>
    private static int ReadName(ReadOnlySpan<byte> line, int pos, out ReadOnlySpan<byte> name, out bool escaped)
    {
        name = default;
        escaped = false;
        pos = SkipWhiteSpace(line, pos);
        if (!At(line, pos, '"'))
        {
            return Malformed;
        }

        var end = ReadString(line, pos, out escaped);
        if (end < 0)
        {
            return Malformed;
        }

        name = line[(pos + 1)..(end - 1)];
        end = SkipWhiteSpace(line, end);
        return At(line, end, ':') ? end + 1 : Malformed;
    }

    /// <summary>A string from its opening quote to just after its closing one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadString(ReadOnlySpan<byte> line, int pos, out bool escaped)
    {
        var start = pos + 1;
        var stop = line[start..].IndexOfAny(StringStopBytes);
        escaped = false;
        if (stop < 0)
        {
            return Malformed;
        }

        stop += start;
        if (line[stop] == '"')
        {
            return stop + 1;
        }

        escaped = true;
        return ReadEscapedRest(line, stop);
    }

    /// <summary>The rest of a string from a backslash or control byte, checking every escape.</summary>
    private static int ReadEscapedRest(ReadOnlySpan<byte> line, int pos)
    {
        while (true)
        {
            var b = line[pos];
            if (b == '"')
            {
                return pos + 1;
            }

            // A raw control byte, or a backslash at the very end.
            if (b != '\\' || ++pos >= line.Length)
            {
                return Malformed;
            }

            switch (line[pos])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    pos++;
                    break;
                case (byte)'u':
                    if (line.Length - pos < 5 || !IsHex(line[pos + 1]) || !IsHex(line[pos + 2]) || !IsHex(line[pos + 3]) || !IsHex(line[pos + 4]))
                    {
                        return Malformed;
                    }

                    pos += 5;
                    break;
                default:
                    return Malformed;
            }

            var next = line[pos..].IndexOfAny(StringStopBytes);
            if (next < 0)
            {
                return Malformed;
            }

            pos += next;
        }
    }

    /// <summary>A number as the JSON grammar has it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
    private static int ReadNumber(ReadOnlySpan<byte> line, int pos)
    {
        if (At(line, pos, '-'))
        {
            pos++;
        }

        if (!IsDigit(line, pos))
        {
            return Malformed;
        }

        pos = line[pos] == '0' ? pos + 1 : SkipDigits(line, pos + 1);
        if (At(line, pos, '.'))
        {
            if (!IsDigit(line, ++pos))
            {
                return Malformed;
            }

            pos = SkipDigits(line, pos + 1);
        }

        if (At(line, pos, 'e') || At(line, pos, 'E'))
        {
            if (At(line, ++pos, '+') || At(line, pos, '-'))
            {
                pos++;
            }

            if (!IsDigit(line, pos))
            {
                return Malformed;
            }

            pos = SkipDigits(line, pos + 1);
        }

        return pos;
    }

    private static int ReadLiteral(ReadOnlySpan<byte> line, int pos, ReadOnlySpan<byte> literal) =>
        line[pos..].StartsWith(literal) ? pos + literal.Length : Malformed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhiteSpace(ReadOnlySpan<byte> line, int pos)
    {
        // Lines from miners rarely have any: one test, inlined, for the usual case.
        return (uint)pos < (uint)line.Length && line[pos] > ' ' ? pos : SkipWhiteSpaceRun(line, pos);
    }

    private static int SkipWhiteSpaceRun(ReadOnlySpan<byte> line, int pos)
    {
        while ((uint)pos < (uint)line.Length && line[pos] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            pos++;
        }

        return pos;
    }

    private static int SkipDigits(ReadOnlySpan<byte> line, int pos)
    {
        while (IsDigit(line, pos))
        {
            pos++;
        }

        return pos;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool At(ReadOnlySpan<byte> line, int pos, char expected) => (uint)pos < (uint)line.Length && line[pos] == expected;

    private static bool IsDigit(ReadOnlySpan<byte> line, int pos) => (uint)pos < (uint)line.Length && IsDigit(line[pos]);

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 'f' - 'a';

    /// <summary>The member a name stands for; <c>params</c> only in pool lines, the miner pass skips it.</summary>
    private static Member ClassifyMember(ReadOnlySpan<byte> name, bool escaped, bool poolLine)
    {
        if (!escaped)
        {
            // The common case: plain names, told apart by length first.
            return name.Length switch
            {
                2 when name.SequenceEqual("id"u8) => Member.Id,
                6 when name.SequenceEqual("method"u8) => Member.Method,
                6 when poolLine && name.SequenceEqual("params"u8) => Member.Params,
                6 when name.SequenceEqual("result"u8) => Member.Result,
                5 when name.SequenceEqual("error"u8) => Member.Error,
                _ => Member.Other,
            };
        }

        // The names each reader pass compares, the way it compares them: a broken escape makes the line malformed when
        // one of these comparisons gets past the shortcuts to the unescaping (the order does not change that).
        ReadOnlySpan<Member> order = poolLine
            ? [Member.Method, Member.Params, Member.Id, Member.Result, Member.Error]
            : [Member.Id, Member.Method, Member.Result, Member.Error];
        foreach (var member in order)
        {
            var match = EscapedTextEquals(name, member switch
            {
                Member.Id => "id"u8,
                Member.Method => "method"u8,
                Member.Params => "params"u8,
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
        for (var i = 0; i < TrackedMethods.Count; i++)
        {
            var match = TextEquals(name, escaped, TrackedMethods.Name(i));
            if (match != TextMatch.No)
            {
                method = match == TextMatch.Yes ? TrackedMethods.Method(i) : StratumMethod.None;
                return match == TextMatch.Yes;
            }
        }

        method = StratumMethod.Other;
        return true;
    }

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
