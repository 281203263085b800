using System.Buffers;
using System.Text;
using System.Text.Json;

namespace StratumProxy.Stratum;

/// <summary>
/// Reads Stratum JSON-RPC lines straight over the pipe's bytes. The first pass checks a miner's line is one
/// well-formed JSON object (a pool's only as far as it reads it) and picks out method, id, result and error without
/// allocating: by <see cref="StratumLineScanner"/> when the line is in one segment (almost always), by
/// <see cref="Utf8JsonReader"/> otherwise. The few fields worth keeping (worker, user agent, job id, difficulty) are
/// read by a second pass only for the methods that carry them.
/// </summary>
public static class StratumMessageInspector
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>Inspects one line; false, with <paramref name="message"/> default, when it is not a single well-formed JSON object.</summary>
    public static bool TryInspect(in ReadOnlySequence<byte> line, out StratumMessage message) =>
        line.IsSingleSegment ? StratumLineScanner.TryScan(line.FirstSpan, out message) : TryInspectWithReader(line, out message);

    /// <summary>As the overload for sequences, on one contiguous line.</summary>
    public static bool TryInspect(ReadOnlySpan<byte> line, out StratumMessage message) => StratumLineScanner.TryScan(line, out message);

    /// <summary>The <see cref="Utf8JsonReader"/> pass of <see cref="TryInspect(in ReadOnlySequence{byte}, out StratumMessage)"/>: for lines split across segments, and the reference the scanner is tested against.</summary>
    internal static bool TryInspectWithReader(in ReadOnlySequence<byte> line, out StratumMessage message)
    {
        if (ReadMessage(line, out message))
        {
            return true;
        }

        message = default;
        return false;
    }

    private static bool ReadMessage(in ReadOnlySequence<byte> line, out StratumMessage message)
    {
        message = default;
        var reader = new Utf8JsonReader(line, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    // Anything after the object (a second value) makes the line malformed.
                    return !reader.Read();
                }

                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    ReadId(ref reader, ref message);
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    message.Method = reader.TokenType == JsonTokenType.String ? Classify(ref reader) : StratumMethod.Other;
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    ReadOtherMember(ref reader, ref message);
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a pool line for what the session tracks, without judging it: the pool's lines are forwarded as they
    /// are. Stops as soon as the rest cannot matter: right after the method of a request the session does not
    /// track, and after the first parameter of a <c>mining.notify</c> (the job id), which spares the scan of the
    /// ~500 bytes of coinbase and branches that follow. <paramref name="firstParam"/> holds the raw bytes of
    /// <c>params[0]</c> when it is a string without escapes (empty otherwise: read it with <see cref="ReadParamString(in ReadOnlySequence{byte}, int)"/>).
    /// </summary>
    /// <returns>False when the line is not a JSON object as far as it was read.</returns>
    public static bool TryInspectPoolLine(in ReadOnlySequence<byte> line, out StratumMessage message, out ReadOnlySequence<byte> firstParam)
    {
        if (!line.IsSingleSegment)
        {
            return TryInspectPoolLineWithReader(line, out message, out firstParam);
        }

        var valid = StratumLineScanner.TryScanPoolLine(line.FirstSpan, out message, out var start, out var length);
        firstParam = length > 0 ? line.Slice(start, length) : default;
        return valid;
    }

    /// <summary>As the overload for sequences, on one contiguous line.</summary>
    public static bool TryInspectPoolLine(ReadOnlySpan<byte> line, out StratumMessage message, out ReadOnlySpan<byte> firstParam)
    {
        var valid = StratumLineScanner.TryScanPoolLine(line, out message, out var start, out var length);
        firstParam = length > 0 ? line.Slice(start, length) : default;
        return valid;
    }

    /// <summary>The <see cref="Utf8JsonReader"/> pass of <see cref="TryInspectPoolLine(in ReadOnlySequence{byte}, out StratumMessage, out ReadOnlySequence{byte})"/>: for lines split across segments, and the reference the scanner is tested against.</summary>
    internal static bool TryInspectPoolLineWithReader(in ReadOnlySequence<byte> line, out StratumMessage message, out ReadOnlySequence<byte> firstParam)
    {
        if (ReadPoolLine(line, out message, out firstParam))
        {
            return true;
        }

        message = default;
        firstParam = default;
        return false;
    }

    private static bool ReadPoolLine(in ReadOnlySequence<byte> line, out StratumMessage message, out ReadOnlySequence<byte> firstParam)
    {
        message = default;
        firstParam = default;
        var paramsSeen = false;
        var reader = new Utf8JsonReader(line, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return true;
                }

                if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        message.Method = StratumMethod.Other;
                        return true;
                    }

                    message.Method = Classify(ref reader);
                    if (message.Method is not (StratumMethod.Notify or StratumMethod.SetDifficulty or StratumMethod.SetExtranonce) || paramsSeen)
                    {
                        return true;
                    }
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    reader.Read();
                    paramsSeen = true;
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }

                    var depth = reader.CurrentDepth;
                    if (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                        {
                            firstParam = reader.HasValueSequence ? reader.ValueSequence : line.Slice(reader.TokenStartIndex + 1, reader.ValueSpan.Length);
                        }

                        if (message.Method != StratumMethod.None)
                        {
                            return true;
                        }

                        reader.Skip();
                        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
                        {
                        }
                    }
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    ReadId(ref reader, ref message);
                }
                else
                {
                    ReadOtherMember(ref reader, ref message);
                }
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A member other than <c>id</c>, <c>method</c> and <c>params</c>: a response's result or error, or one to skip.</summary>
    private static void ReadOtherMember(ref Utf8JsonReader reader, ref StratumMessage message)
    {
        if (reader.ValueTextEquals("result"u8))
        {
            reader.Read();
            message.ResultIsTrue = reader.TokenType == JsonTokenType.True;
            reader.Skip();
        }
        else if (reader.ValueTextEquals("error"u8))
        {
            reader.Read();
            ReadError(ref reader, ref message);
        }
        else
        {
            reader.Read();
            reader.Skip();
        }
    }

    private static void ReadId(ref Utf8JsonReader reader, ref StratumMessage message)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                message.HasId = true;
                message.IdKey = reader.TryGetInt64(out var number) ? number : HashBytes(ref reader);
                break;
            case JsonTokenType.String:
                message.HasId = true;
                message.IdKey = HashBytes(ref reader);
                break;
            case JsonTokenType.Null:
                break;
            default:
                message.HasId = true;
                message.IdKey = long.MinValue;
                reader.Skip();
                break;
        }
    }

    private static long HashBytes(ref Utf8JsonReader reader)
    {
        var isString = reader.TokenType == JsonTokenType.String;
        if (!reader.HasValueSequence)
        {
            return RequestIdHash.Of(reader.ValueSpan, isString);
        }

        var hash = RequestIdHash.Start(isString);
        foreach (var segment in reader.ValueSequence)
        {
            hash = RequestIdHash.Append(hash, segment.Span);
        }

        return RequestIdHash.ToKey(hash);
    }

    private static void ReadError(ref Utf8JsonReader reader, ref StratumMessage message)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.StartArray:
                message.HasError = true;
                var depth = reader.CurrentDepth;
                if (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code))
                {
                    message.ErrorCode = code;
                }

                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    reader.Skip();
                }

                while (reader.CurrentDepth > depth || reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!reader.Read())
                    {
                        return;
                    }

                    if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                    {
                        reader.Skip();
                    }
                }

                return;
            case JsonTokenType.StartObject:
                message.HasError = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var isCode = reader.ValueTextEquals("code"u8);
                    reader.Read();
                    if (isCode && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var objectCode))
                    {
                        message.ErrorCode = objectCode;
                    }

                    reader.Skip();
                }

                return;
            default:
                message.HasError = true;
                reader.Skip();
                return;
        }
    }

    private static StratumMethod Classify(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < TrackedMethods.Count; i++)
        {
            if (reader.ValueTextEquals(TrackedMethods.Name(i)))
            {
                return TrackedMethods.Method(i);
            }
        }

        return StratumMethod.Other;
    }

    /// <summary>The element at <paramref name="index"/> of <c>params</c> as a string (numbers as their text), or null.</summary>
    public static string? ReadParamString(in ReadOnlySequence<byte> line, int index)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        return TryFindArrayElement(ref reader, "params"u8, index) ? TokenAsString(ref reader) : null;
    }

    /// <summary>As the overload for sequences, on one contiguous line.</summary>
    public static string? ReadParamString(ReadOnlySpan<byte> line, int index)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        return TryFindArrayElement(ref reader, "params"u8, index) ? TokenAsString(ref reader) : null;
    }

    /// <summary>The element at <paramref name="index"/> of <c>result</c> as a string, or null.</summary>
    public static string? ReadResultString(ReadOnlySpan<byte> line, int index)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        return TryFindArrayElement(ref reader, "result"u8, index) ? TokenAsString(ref reader) : null;
    }

    /// <summary>The element at <paramref name="index"/> of <c>params</c> as a number (numeric strings too), or null.</summary>
    public static double? ReadParamNumber(ReadOnlySpan<byte> line, int index)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        if (!TryFindArrayElement(ref reader, "params"u8, index))
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value))
        {
            return value;
        }

        if (reader.TokenType == JsonTokenType.String
            && double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value))
        {
            return value;
        }

        return null;
    }

    private static string? TokenAsString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
        _ => null,
    };

    private static bool TryFindArrayElement(ref Utf8JsonReader reader, ReadOnlySpan<byte> property, int index)
    {
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(property);
                reader.Read();
                if (!match)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }

                for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
                {
                    if (i == index)
                    {
                        return true;
                    }

                    reader.Skip();
                }

                return false;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}
