using Stratum.Transport;
using Stratum.Transport.EventLoop;
using StratumProxy.Configuration;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>Where a TLS connection's work runs on the proxy's own transport, whose event loops are pinned to CPUs.</summary>
public sealed class TlsHandshakeThreadTests : IDisposable
{
    private readonly TlsTestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    /// <remarks>
    /// That a socket wakes its reader on its loop once inline completions are back on is
    /// <c>EpollSocketTests.A_reader_is_woken_on_the_thread_pool_while_inline_completions_are_off_and_on_the_loop_again_after</c>.
    /// </remarks>
    [Fact]
    public async Task The_handshake_runs_on_the_thread_pool_and_hands_the_session_back_to_its_event_loop()
    {
        using var factory = _env.NewFactory();
        var options = factory.Create("loops", new TlsListenerOptions { Hosts = ["pool.test"] }, TimeSpan.FromSeconds(10));
        var handshake = new TaskCompletionSource<(int Loop, bool Inline)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await TlsEchoHost.StartOnEventLoopsAsync(options, async connection =>
        {
            // Still on the thread that finished the handshake: the one woken by the client's Finished.
            handshake.TrySetResult((EventLoopThread.Number, connection.Features.Get<IEpollSocketFeature>()!.Socket.InlineCompletions));
            await TlsEchoHost.EchoAsync(connection);
        });

        await using var client = await TlsTestClient.ConnectAsync(host.Port, "pool.test");
        const string Subscribe = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}";
        Assert.Equal(Subscribe, await client.EchoAsync(Subscribe));
        var (handshakeLoop, inline) = await handshake.Task.WaitAsync(TlsTestClient.Timeout);

        Assert.Equal(-1, handshakeLoop);
        Assert.True(inline, "the socket's inline completions were not turned back on after the handshake");
    }
}
