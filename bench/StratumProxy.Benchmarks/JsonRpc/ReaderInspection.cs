using System.Buffers;
using System.Text.Json;
using Stratum.Protocol.JsonRpc;

namespace StratumProxy.Benchmarks.JsonRpc;

/// <summary>What a Stratum-aware forwarder needs from one line, without allocating.</summary>
public enum LineMethod
{
    Other,
    Subscribe,
    Authorize,
    Submit,
    Notify,
    SetDifficulty,
}

/// <summary>The facts one inspection extracts: method, numeric id (or -1), worker name span inside the line.</summary>
public readonly record struct LineSummary(LineMethod Method, long Id, int WorkerStart, int WorkerLength);

/// <summary>
/// Straightforward <see cref="Utf8JsonReader"/> pass over one JSON-RPC line: method compared as UTF-8 bytes, numeric id,
/// first string parameter of a submit (the worker). The reference point for the proxy's own inspector.
/// </summary>
public static class ReaderInspection
{
    public static LineSummary Inspect(in ReadOnlySequence<byte> line)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return new LineSummary(LineMethod.Other, -1, -1, 0);
        }

        var method = LineMethod.Other;
        long id = -1;
        int workerStart = -1, workerLength = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("method"u8))
            {
                reader.Read();
                method = MethodOf(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
                {
                    id = value;
                }
            }
            else if (reader.ValueTextEquals("params"u8) && method == LineMethod.Submit)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    workerStart = (int)reader.TokenStartIndex + 1;
                    workerLength = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                }

                SkipToDepth(ref reader, 1);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new LineSummary(method, id, workerStart, workerLength);
    }

    private static LineMethod MethodOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return LineMethod.Other;
        }

        if (reader.ValueTextEquals(StratumMethods.Submit))
        {
            return LineMethod.Submit;
        }

        if (reader.ValueTextEquals(StratumMethods.Notify))
        {
            return LineMethod.Notify;
        }

        if (reader.ValueTextEquals(StratumMethods.SetDifficulty))
        {
            return LineMethod.SetDifficulty;
        }

        if (reader.ValueTextEquals(StratumMethods.Subscribe))
        {
            return LineMethod.Subscribe;
        }

        return reader.ValueTextEquals(StratumMethods.Authorize) ? LineMethod.Authorize : LineMethod.Other;
    }

    private static void SkipToDepth(ref Utf8JsonReader reader, int depth)
    {
        while (reader.CurrentDepth > depth && reader.Read())
        {
        }
    }
}
