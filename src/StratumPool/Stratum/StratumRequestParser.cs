using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace StratumPool.Stratum;

/// <summary>
/// Reads one Stratum request line with <see cref="Utf8JsonReader"/>: <c>{"id":…,"method":"…","params":[…]}</c>.
/// Anything else (invalid JSON, not an object, no method, trailing data) is malformed.
/// </summary>
public static class StratumRequestParser
{
    private const int MaxDepth = 4;
    private const int MaxParams = 32;

    public static bool TryParse(in ReadOnlySequence<byte> line, [NotNullWhen(true)] out StratumRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth + 2, CommentHandling = JsonCommentHandling.Disallow });
            return TryParseObject(ref reader, out request, out error);
        }
        catch (JsonException exception)
        {
            error = "invalid JSON: " + exception.Message;
            return false;
        }
        catch (InvalidOperationException exception)
        {
            error = "invalid JSON value: " + exception.Message;
            return false;
        }
    }

    private static bool TryParseObject(ref Utf8JsonReader reader, [NotNullWhen(true)] out StratumRequest? request, [NotNullWhen(false)] out string? error)
    {
        request = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "not a JSON object";
            return false;
        }

        var id = StratumId.Null;
        StratumMethod? method = null;
        string? methodName = null;
        IReadOnlyList<StratumValue> parameters = [];

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType switch
                {
                    JsonTokenType.Number => new StratumId(StratumIdKind.Number, Encoding.UTF8.GetString(reader.ValueSpan)),
                    JsonTokenType.String => new StratumId(StratumIdKind.String, reader.GetString()),
                    JsonTokenType.Null => StratumId.Null,
                    _ => throw new JsonException("id must be a number, a string or null"),
                };
            }
            else if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    error = "method is not a string";
                    return false;
                }

                method = reader.ValueIsEscaped ? StratumRequest.Recognise(Encoding.UTF8.GetBytes(reader.GetString()!)) : StratumRequest.Recognise(reader.ValueSpan);
                methodName = reader.GetString();
            }
            else if (reader.ValueTextEquals("params"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    parameters = [];
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    parameters = ReadArray(ref reader, 1);
                }
                else if (reader.TokenType == JsonTokenType.StartObject)
                {
                    // Some clients send named params; keep them as one object parameter.
                    parameters = [ReadObject(ref reader, 1)];
                }
                else
                {
                    error = "params is not an array";
                    return false;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            error = "unterminated JSON object";
            return false;
        }

        if (reader.Read())
        {
            error = "data after the JSON object";
            return false;
        }

        if (method is null || methodName is null)
        {
            error = "no method";
            return false;
        }

        request = new StratumRequest { Id = id, Method = method.Value, MethodName = methodName, Params = parameters };
        error = null;
        return true;
    }

    private static List<StratumValue> ReadArray(ref Utf8JsonReader reader, int depth)
    {
        var items = new List<StratumValue>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (items.Count >= MaxParams)
            {
                throw new JsonException("too many array items");
            }

            items.Add(ReadValue(ref reader, depth));
        }

        return items;
    }

    private static StratumValue ReadObject(ref Utf8JsonReader reader, int depth)
    {
        var fields = new Dictionary<string, StratumValue>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (fields.Count >= MaxParams)
            {
                throw new JsonException("too many object fields");
            }

            fields[name] = ReadValue(ref reader, depth);
        }

        return new StratumValue(StratumValueKind.Object) { Fields = fields };
    }

    private static StratumValue ReadValue(ref Utf8JsonReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonException("params nested too deeply");
        }

        return reader.TokenType switch
        {
            JsonTokenType.String => new StratumValue(StratumValueKind.String) { Text = reader.GetString() },
            JsonTokenType.Number => new StratumValue(StratumValueKind.Number)
            {
                Text = Encoding.UTF8.GetString(reader.ValueSpan),
                Number = reader.GetDouble(),
            },
            JsonTokenType.True => new StratumValue(StratumValueKind.Bool) { Bool = true },
            JsonTokenType.False => new StratumValue(StratumValueKind.Bool) { Bool = false },
            JsonTokenType.Null => StratumValue.NullValue,
            JsonTokenType.StartArray => new StratumValue(StratumValueKind.Array) { Items = ReadArray(ref reader, depth + 1) },
            JsonTokenType.StartObject => ReadObject(ref reader, depth + 1),
            _ => throw new JsonException($"unexpected token {reader.TokenType}"),
        };
    }
}
