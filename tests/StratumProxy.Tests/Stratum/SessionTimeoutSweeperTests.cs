using StratumProxy.Configuration;
using StratumProxy.Stratum;

namespace StratumProxy.Tests.Stratum;

public sealed class SessionTimeoutSweeperTests
{
    [Fact]
    public void With_the_default_timeouts_sessions_are_swept_once_a_second()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), SessionTimeoutSweeper.SweepInterval(new LimitsOptions()));
    }

    [Theory]
    [InlineData(5, 600, 500)]
    [InlineData(15, 3, 300)]
    [InlineData(1, 600, 250)]
    [InlineData(600, 1, 250)]
    [InlineData(60, 600, 1000)]
    public void Sessions_are_swept_every_tenth_of_the_shorter_timeout_within_the_bounds(int handshakeSeconds, int idleSeconds, int expectedMilliseconds)
    {
        var limits = new LimitsOptions
        {
            HandshakeTimeout = TimeSpan.FromSeconds(handshakeSeconds),
            IdleTimeout = TimeSpan.FromSeconds(idleSeconds),
        };

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), SessionTimeoutSweeper.SweepInterval(limits));
    }
}
