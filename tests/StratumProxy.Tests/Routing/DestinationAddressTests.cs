using System.Net;
using StratumProxy.Routing;

namespace StratumProxy.Tests.Routing;

public sealed class DestinationAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:3333", "127.0.0.1", 3333, true)]
    [InlineData("[::1]:3334", "::1", 3334, true)]
    [InlineData("pool-a.internal:13333", "pool-a.internal", 13333, false)]
    [InlineData("localhost:1", "localhost", 1, false)]
    public void Parses_literals_and_names(string text, string host, int port, bool literal)
    {
        Assert.True(DestinationAddress.TryParse(text, out var address, out var error), error);
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
        Assert.Equal(literal, address.Literal is not null);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1", "no port")]
    [InlineData("127.0.0.1:0", "invalid port")]
    [InlineData("127.0.0.1:70000", "invalid port")]
    [InlineData("::1:3333", "brackets")]
    [InlineData("bad host:3333", "invalid host")]
    [InlineData("1.2.3:3333", "invalid host")]
    public void Refuses_bad_addresses_saying_why(string text, string expected)
    {
        Assert.False(DestinationAddress.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_resolve_at_connect_time_and_literals_do_not()
    {
        var name = DestinationAddress.Parse("localhost:3333");
        var literal = DestinationAddress.Parse("[::1]:3333");

        var resolved = await name.ResolveAsync(CancellationToken.None);

        Assert.NotEmpty(resolved);
        Assert.All(resolved, a => Assert.True(IPAddress.IsLoopback(a)));
        Assert.Equal([IPAddress.IPv6Loopback], await literal.ResolveAsync(CancellationToken.None));
        Assert.Equal("[::1]:3333", literal.ToString());
    }
}
