using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace StratumPool.Tests.Support;

/// <summary>A plain Stratum client over a real loopback socket: writes lines, reads JSON lines with a deadline.</summary>
public sealed class StratumLineClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    // A read that timed out is still running on the stream; the next read waits for it instead of starting another.
    private Task<string?>? _pendingRead;

    private StratumLineClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false), false, 65536);
    }

    public static async Task<StratumLineClient> ConnectAsync(IPEndPoint endPoint)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(IPAddress.Loopback, endPoint.Port).WaitAsync(TimeSpan.FromSeconds(10));
        return new StratumLineClient(tcp);
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public Task SendLineAsync(string json) => SendRawAsync(Encoding.UTF8.GetBytes(json + "\n"));

    public Task SendAsync(object? id, string method, params object?[] parameters) =>
        SendLineAsync(JsonSerializer.Serialize(new { id, method, @params = parameters }));

    /// <summary>Next line, or null at end of stream; fails after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement?> ReadAsync(TimeSpan? timeout = null)
    {
        var line = await NextLineAsync(timeout ?? TimeSpan.FromSeconds(10));
        return line is null ? null : JsonDocument.Parse(line).RootElement.Clone();
    }

    /// <summary>Reads until a line satisfies <paramref name="match"/>, keeping the skipped ones in <paramref name="skipped"/>.</summary>
    public async Task<JsonElement> ReadUntilAsync(Func<JsonElement, bool> match, List<JsonElement>? skipped = null, int maxLines = 100, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        for (var i = 0; i < maxLines; i++)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            var message = await ReadAsync(remaining) ?? throw new EndOfStreamException("connection closed");
            if (match(message))
            {
                return message;
            }

            skipped?.Add(message);
        }

        throw new TimeoutException("no matching message");
    }

    /// <summary>The reply to a request (a message with a non-null id and no method).</summary>
    public Task<JsonElement> ReadReplyAsync(List<JsonElement>? skipped = null) =>
        ReadUntilAsync(m => !m.TryGetProperty("method", out _) && m.TryGetProperty("id", out var id) && id.ValueKind != JsonValueKind.Null, skipped);

    public Task<JsonElement> ReadNotificationAsync(string method, List<JsonElement>? skipped = null, TimeSpan? timeout = null) =>
        ReadUntilAsync(m => m.TryGetProperty("method", out var name) && name.GetString() == method, skipped, timeout: timeout);

    private async Task<string?> NextLineAsync(TimeSpan timeout)
    {
        var read = _pendingRead ?? _reader.ReadLineAsync();
        _pendingRead = read;
        var line = await read.WaitAsync(timeout);
        _pendingRead = null;
        return line;
    }

    /// <summary>True when the server closed the connection within <paramref name="timeout"/> (lines before it are skipped).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var line = await NextLineAsync(deadline - DateTime.UtcNow);
                if (line is null)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }

        return false;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
