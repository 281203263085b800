using System.Buffers;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using StratumProxy.Tls;

namespace StratumProxy.Tests.Tls;

public sealed class ClientHelloParserTests
{
    [Fact]
    public async Task ReadsSniAndAlpnFromARealClientHello()
    {
        var hello = await CaptureClientHelloAsync("pool.example.com", ["acme-tls/1", "h2"]);

        Assert.Equal(ClientHelloParseStatus.Parsed, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(hello), out var info));
        Assert.Equal("pool.example.com", info!.ServerName);
        Assert.Equal(["acme-tls/1", "h2"], info.ApplicationProtocols);
        Assert.True(info.Offers("acme-tls/1"));
    }

    [Fact]
    public async Task NoSniAndNoAlpnAreReportedAsAbsent()
    {
        var hello = await CaptureClientHelloAsync(string.Empty, null);

        Assert.Equal(ClientHelloParseStatus.Parsed, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(hello), out var info));
        Assert.Null(info!.ServerName);
        Assert.Empty(info.ApplicationProtocols);
    }

    [Fact]
    public async Task EveryPrefixIsIncompleteAndSegmentedInputParses()
    {
        var hello = await CaptureClientHelloAsync("pool.example.com", ["acme-tls/1"]);

        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloParseStatus.Incomplete, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(hello, 0, length), out _));
        }

        Assert.Equal(ClientHelloParseStatus.Parsed, ClientHelloParser.TryParse(Segmented(hello, 7), out var info));
        Assert.Equal("pool.example.com", info!.ServerName);
    }

    [Fact]
    public async Task HandshakeSplitOverTwoRecordsIsReassembled()
    {
        var hello = await CaptureClientHelloAsync("split.example.com", ["acme-tls/1"]);
        var handshake = hello.AsSpan(5, hello.Length - 5).ToArray();
        var cut = handshake.Length / 2;
        var reframed = Record(handshake[..cut]).Concat(Record(handshake[cut..])).ToArray();

        Assert.Equal(ClientHelloParseStatus.Incomplete, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(reframed, 0, reframed.Length - 1), out _));
        Assert.Equal(ClientHelloParseStatus.Parsed, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(reframed), out var info));
        Assert.Equal("split.example.com", info!.ServerName);
        Assert.True(info.Offers("acme-tls/1"));
    }

    [Theory]
    [InlineData("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    public void PlainTextIsNotAClientHello(string text) =>
        Assert.Equal(ClientHelloParseStatus.NotClientHello, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out _));

    [Fact]
    public void OversizedHandshakeIsNotSniffed()
    {
        // A handshake record announcing a 1 MiB ClientHello.
        byte[] header = [0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x10, 0x00, 0x00];
        Assert.Equal(ClientHelloParseStatus.NotClientHello, ClientHelloParser.TryParse(new ReadOnlySequence<byte>(header), out _));
    }

    private static byte[] Record(byte[] fragment) =>
        [0x16, 0x03, 0x01, (byte)(fragment.Length >> 8), (byte)fragment.Length, .. fragment];

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var memory = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Runs a real SslStream client handshake into a stream that records the first flight and then fails.</summary>
    private static async Task<byte[]> CaptureClientHelloAsync(string targetHost, List<string>? alpn)
    {
        var capture = new FirstFlightStream();
        await using var ssl = new SslStream(capture);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ApplicationProtocols = alpn?.Select(p => new SslApplicationProtocol(p)).ToList(),
        };
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(options));
        return capture.Written.ToArray();
    }

    private sealed class FirstFlightStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("capture complete");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
