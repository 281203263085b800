using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>A miner-side test client: sends lines, reads lines, all with deadlines.</summary>
public sealed class TestMiner : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _client;
    private readonly Stream _stream;
    private readonly StreamReader _reader;

    private TestMiner(TcpClient client, Stream stream)
    {
        _client = client;
        _stream = stream;
        _reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
    }

    public Stream Stream => _stream;

    public static async Task<TestMiner> ConnectAsync(IPEndPoint endPoint, byte[]? prefix = null)
    {
        var client = new TcpClient(endPoint.AddressFamily);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await client.ConnectAsync(endPoint, timeout.Token);
        var miner = new TestMiner(client, client.GetStream());
        if (prefix is not null)
        {
            await miner._stream.WriteAsync(prefix, timeout.Token);
        }

        return miner;
    }

    public async Task SendAsync(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line.EndsWith('\n') ? line : line + "\n");
        await SendRawAsync(bytes);
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _stream.WriteAsync(bytes, timeout.Token);
        await _stream.FlushAsync(timeout.Token);
    }

    /// <summary>The next line, or null when the connection closed first.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _reader.ReadLineAsync(cts.Token);
    }

    /// <summary>True when the proxy closes the connection within <paramref name="timeout"/> (reads and drops any data).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _reader.ReadLineAsync(cts.Token) is not null)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
