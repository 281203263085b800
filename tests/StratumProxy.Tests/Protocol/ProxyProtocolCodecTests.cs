using System.Buffers;
using System.Net;
using System.Text;
using Stratum.Protocol.ProxyProtocol;

namespace StratumProxy.Tests.Protocol;

public sealed class ProxyProtocolCodecTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("192.0.2.10"), 40000);
    private static readonly IPEndPoint Server4 = new(IPAddress.Parse("198.51.100.20"), 3333);

    [Fact]
    public void V1_is_written_as_the_spec_spells_it()
    {
        var writer = new ArrayBufferWriter<byte>();
        ProxyProtocolWriter.WriteV1(writer, Client4, Server4);
        Assert.Equal("PROXY TCP4 192.0.2.10 198.51.100.20 40000 3333\r\n", Encoding.ASCII.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void V2_ipv4_header_bytes_match_the_spec()
    {
        var writer = new ArrayBufferWriter<byte>();
        ProxyProtocolWriter.WriteV2(writer, Client4, Server4);
        byte[] expected =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x21, 0x11, 0x00, 0x0C,
            192, 0, 2, 10, 198, 51, 100, 20,
            0x9C, 0x40, 0x0D, 0x05,
        ];
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData("192.0.2.10", "198.51.100.20")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    [InlineData("192.0.2.10", "2001:db8::2")]
    public void Both_versions_round_trip(string source, string destination)
    {
        var src = new IPEndPoint(IPAddress.Parse(source), 12345);
        var dst = new IPEndPoint(IPAddress.Parse(destination), 443);
        foreach (var v2 in new[] { false, true })
        {
            var writer = new ArrayBufferWriter<byte>();
            var length = v2 ? ProxyProtocolWriter.WriteV2(writer, src, dst) : ProxyProtocolWriter.WriteV1(writer, src, dst);
            var bytes = writer.WrittenSpan.ToArray().Concat("{\"id\":1}\n"u8.ToArray()).ToArray();
            Assert.Equal(ProxyHeaderStatus.Complete, ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>(bytes), out var header, out var consumed));
            Assert.Equal(length, consumed);
            Assert.Equal(v2 ? 2 : 1, header.Version);
            var expectedSource = src.AddressFamily == dst.AddressFamily ? src.Address : src.Address.MapToIPv6();
            Assert.Equal(expectedSource, header.Source!.Address);
            Assert.Equal(12345, header.Source.Port);
            Assert.Equal(443, header.Destination!.Port);
        }
    }

    [Fact]
    public void Every_prefix_of_a_header_asks_for_more_data()
    {
        foreach (var v2 in new[] { false, true })
        {
            var writer = new ArrayBufferWriter<byte>();
            if (v2)
            {
                ProxyProtocolWriter.WriteV2(writer, Client4, Server4);
            }
            else
            {
                ProxyProtocolWriter.WriteV1(writer, Client4, Server4);
            }

            var bytes = writer.WrittenSpan.ToArray();
            for (var n = 1; n < bytes.Length; n++)
            {
                Assert.Equal(ProxyHeaderStatus.NeedMoreData, ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>(bytes[..n]), out _, out _));
            }
        }
    }

    [Theory]
    [InlineData("{\"id\":1,\"method\":\"mining.subscribe\"}\n")]
    [InlineData("PROXY TCP4 999.0.0.1 198.51.100.20 40000 3333\r\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.20 40000 99999\r\n")]
    [InlineData("PROXY TCP6 192.0.2.10 198.51.100.20 40000 3333\r\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.20 40000 3333\n")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.20 40000\r\n")]
    public void Malformed_or_foreign_input_is_invalid(string input)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input)), out _, out _));
    }

    [Fact]
    public void Unknown_and_local_headers_carry_no_address()
    {
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>("PROXY UNKNOWN\r\n"u8.ToArray()), out var v1, out var consumed));
        Assert.True(v1.IsLocal);
        Assert.Equal(15, consumed);

        byte[] local = [.. ProxyProtocolReader.V2Signature, 0x20, 0x00, 0x00, 0x00];
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>(local), out var v2, out consumed));
        Assert.True(v2.IsLocal);
        Assert.Equal(16, consumed);
    }

    [Fact]
    public void A_v1_header_without_a_newline_in_107_bytes_is_invalid()
    {
        var bytes = Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 120));
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyProtocolReader.TryRead(new ReadOnlySequence<byte>(bytes), out _, out _));
    }
}
