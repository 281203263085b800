using System.Buffers;
using System.Text.Json;
using StratumPool.Jobs;

namespace StratumPool.Stratum;

/// <summary>
/// Writes Stratum messages, one JSON line each, straight into a buffer writer (the session's <c>PipeWriter</c>).
/// Not thread-safe: the session serialises its writes.
/// </summary>
public sealed class StratumMessageWriter
{
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true, Indented = false };
    private readonly Utf8JsonWriter _json = new(Stream.Null, Options);

    public void WriteResult(IBufferWriter<byte> output, StratumId id, bool result)
    {
        var json = Begin(output, id);
        json.WriteBoolean("result"u8, result);
        json.WriteNull("error"u8);
        End(output);
    }

    public void WriteError(IBufferWriter<byte> output, StratumId id, int code, string message)
    {
        var json = Begin(output, id);
        json.WriteNull("result"u8);
        WriteErrorArray(json, code, message);
        End(output);
    }

    /// <summary><c>"result": false</c> with the reason, as pools answer a refused <c>mining.authorize</c>.</summary>
    public void WriteRefusal(IBufferWriter<byte> output, StratumId id, int code, string message)
    {
        var json = Begin(output, id);
        json.WriteBoolean("result"u8, false);
        WriteErrorArray(json, code, message);
        End(output);
    }

    /// <summary>Stratum's <c>"error": [code, message, null]</c>.</summary>
    private static void WriteErrorArray(Utf8JsonWriter json, int code, string message)
    {
        json.WriteStartArray("error"u8);
        json.WriteNumberValue(code);
        json.WriteStringValue(message);
        json.WriteNullValue();
        json.WriteEndArray();
    }

    /// <summary><c>[[["mining.set_difficulty", sid], ["mining.notify", sid]], extranonce1, extranonce2_size]</c>.</summary>
    public void WriteSubscribeResult(IBufferWriter<byte> output, StratumId id, string subscriptionId, string extraNonce1Hex, int extraNonce2Size)
    {
        var json = Begin(output, id);
        json.WriteStartArray("result"u8);
        json.WriteStartArray();
        json.WriteStartArray();
        json.WriteStringValue("mining.set_difficulty"u8);
        json.WriteStringValue(subscriptionId);
        json.WriteEndArray();
        json.WriteStartArray();
        json.WriteStringValue("mining.notify"u8);
        json.WriteStringValue(subscriptionId);
        json.WriteEndArray();
        json.WriteEndArray();
        json.WriteStringValue(extraNonce1Hex);
        json.WriteNumberValue(extraNonce2Size);
        json.WriteEndArray();
        json.WriteNull("error"u8);
        End(output);
    }

    /// <summary>BIP310 answer: an object of extension results and their parameters.</summary>
    public void WriteConfigureResult(IBufferWriter<byte> output, StratumId id, IReadOnlyList<KeyValuePair<string, object>> result)
    {
        var json = Begin(output, id);
        json.WriteStartObject("result"u8);
        foreach (var (key, value) in result)
        {
            switch (value)
            {
                case bool b:
                    json.WriteBoolean(key, b);
                    break;
                case double d:
                    json.WriteNumber(key, d);
                    break;
                default:
                    json.WriteString(key, value.ToString());
                    break;
            }
        }

        json.WriteEndObject();
        json.WriteNull("error"u8);
        End(output);
    }

    public void WriteSetDifficulty(IBufferWriter<byte> output, double difficulty)
    {
        var json = BeginNotification(output, "mining.set_difficulty"u8);
        json.WriteNumberValue(difficulty);
        EndNotification(output);
    }

    public void WriteNotify(IBufferWriter<byte> output, NotifyParameters job, bool cleanJobs)
    {
        var json = BeginNotification(output, "mining.notify"u8);
        json.WriteStringValue(job.JobId);
        json.WriteStringValue(job.PrevHash);
        json.WriteStringValue(job.Coinb1);
        json.WriteStringValue(job.Coinb2);
        json.WriteStartArray();
        foreach (var branch in job.MerkleBranch)
        {
            json.WriteStringValue(branch);
        }

        json.WriteEndArray();
        json.WriteStringValue(job.Version);
        json.WriteStringValue(job.NBits);
        json.WriteStringValue(job.NTime);
        json.WriteBooleanValue(cleanJobs);
        EndNotification(output);
    }

    /// <summary><c>client.reconnect</c> with no params: reconnect to the address the miner dialled.</summary>
    public void WriteReconnect(IBufferWriter<byte> output)
    {
        BeginNotification(output, "client.reconnect"u8);
        EndNotification(output);
    }

    private Utf8JsonWriter Begin(IBufferWriter<byte> output, StratumId id)
    {
        _json.Reset(output);
        _json.WriteStartObject();
        switch (id.Kind)
        {
            case StratumIdKind.Number:
                _json.WritePropertyName("id"u8);
                _json.WriteRawValue(id.Value!, skipInputValidation: true);
                break;
            case StratumIdKind.String:
                _json.WriteString("id"u8, id.Value);
                break;
            default:
                _json.WriteNull("id"u8);
                break;
        }

        return _json;
    }

    private void End(IBufferWriter<byte> output)
    {
        _json.WriteEndObject();
        _json.Flush();
        output.Write("\n"u8);
    }

    private Utf8JsonWriter BeginNotification(IBufferWriter<byte> output, ReadOnlySpan<byte> method)
    {
        _json.Reset(output);
        _json.WriteStartObject();
        _json.WriteNull("id"u8);
        _json.WriteString("method"u8, method);
        _json.WriteStartArray("params"u8);
        return _json;
    }

    private void EndNotification(IBufferWriter<byte> output)
    {
        _json.WriteEndArray();
        _json.WriteEndObject();
        _json.Flush();
        output.Write("\n"u8);
    }
}
