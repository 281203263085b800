using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using Stratum.Protocol.Framing;
using Stratum.Protocol.JsonRpc;
using StratumProxy.Configuration;
using StratumProxy.Routing;

namespace StratumProxy.Health;

/// <summary>
/// The <c>Stratum</c> probe: <c>mining.subscribe</c> must get a JSON-RPC result. With <c>ExpectJob</c> the probe
/// also authorizes its worker and waits for a <c>mining.notify</c>, so a pool that accepts miners but has no
/// block template to hand out counts as down. Everything within the caller's timeout; when the caller's token
/// fires the probe returns <see cref="HealthProbeResult.Timeout"/> (or <see cref="HealthProbeResult.NoJob"/>).
/// </summary>
public sealed class StratumHealthProbe(DestinationSocketFactory sockets) : IHealthProbe
{
    private const int MaxLineBytes = 64 * 1024;
    private const int SubscribeId = 1;
    private const int AuthorizeId = 2;

    private static readonly byte[] SubscribeRequest =
        "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"stratum-proxy-probe\"]}\n"u8.ToArray();

    public async Task<HealthProbeResult> ProbeAsync(DestinationAddress address, ActiveHealthCheckOptions options, CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await sockets.ConnectSocketAsync(address, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return HealthProbeResult.ConnectFailed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return HealthProbeResult.Timeout;
        }

        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var authorizeSent = false;
        try
        {
            await stream.WriteAsync(SubscribeRequest, cancellationToken).ConfigureAwait(false);
            var sawNotify = false;
            var subscribed = false;
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                HealthProbeResult? verdict = null;
                while (verdict is null)
                {
                    var status = StratumLineReader.TryReadLine(ref buffer, MaxLineBytes, out var line);
                    if (status == LineReadStatus.TooLong)
                    {
                        verdict = HealthProbeResult.BadResponse;
                        break;
                    }

                    if (status == LineReadStatus.NeedMoreData)
                    {
                        break;
                    }

                    if (line.IsEmpty)
                    {
                        continue;
                    }

                    var message = Inspect(line);
                    if (message.Kind == MessageKind.Invalid)
                    {
                        verdict = HealthProbeResult.BadResponse;
                    }
                    else if (message.Kind == MessageKind.Notify)
                    {
                        sawNotify = true;
                        if (subscribed && options.ExpectJob)
                        {
                            verdict = HealthProbeResult.Success;
                        }
                    }
                    else if (message.Kind == MessageKind.Response && message.Id == SubscribeId)
                    {
                        if (!message.Ok)
                        {
                            verdict = HealthProbeResult.BadResponse;
                        }
                        else if (!options.ExpectJob)
                        {
                            verdict = HealthProbeResult.Success;
                        }
                        else
                        {
                            subscribed = true;
                            if (sawNotify)
                            {
                                verdict = HealthProbeResult.Success;
                            }
                        }
                    }
                    else if (message.Kind == MessageKind.Response && message.Id == AuthorizeId && !message.Ok)
                    {
                        verdict = HealthProbeResult.Unauthorized;
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (verdict is not null)
                {
                    return verdict.Value;
                }

                if (subscribed && !authorizeSent)
                {
                    authorizeSent = true;
                    await stream.WriteAsync(AuthorizeRequest(options), cancellationToken).ConfigureAwait(false);
                }

                if (result.IsCompleted)
                {
                    return subscribed && options.ExpectJob ? HealthProbeResult.NoJob : HealthProbeResult.BadResponse;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Subscribed and authorized but no job before the timeout: the pool has no template to give.
            return authorizeSent ? HealthProbeResult.NoJob : HealthProbeResult.Timeout;
        }
        catch (IOException)
        {
            return HealthProbeResult.BadResponse;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static byte[] AuthorizeRequest(ActiveHealthCheckOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id"u8, AuthorizeId);
            writer.WriteString("method"u8, StratumMethods.Authorize);
            writer.WriteStartArray("params"u8);
            writer.WriteStringValue(options.ProbeWorker);
            writer.WriteStringValue(options.ProbePassword);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static Message Inspect(ReadOnlySequence<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Message(MessageKind.Invalid, 0, false);
            }

            if (root.TryGetProperty("method"u8, out var method) && method.ValueKind == JsonValueKind.String)
            {
                return new Message(method.ValueEquals(StratumMethods.Notify) ? MessageKind.Notify : MessageKind.Other, 0, false);
            }

            if (!root.TryGetProperty("id"u8, out var id) || !id.TryGetInt32(out var idValue))
            {
                return new Message(MessageKind.Other, 0, false);
            }

            var ok = root.TryGetProperty("result"u8, out var result)
                && result.ValueKind is not (JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined)
                && (!root.TryGetProperty("error"u8, out var error) || error.ValueKind == JsonValueKind.Null);
            return new Message(MessageKind.Response, idValue, ok);
        }
        catch (JsonException)
        {
            return new Message(MessageKind.Invalid, 0, false);
        }
    }

    private enum MessageKind
    {
        Invalid,
        Response,
        Notify,
        Other,
    }

    private readonly record struct Message(MessageKind Kind, int Id, bool Ok);
}
