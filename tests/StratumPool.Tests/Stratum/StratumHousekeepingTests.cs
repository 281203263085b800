using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using StratumPool.Jobs;
using StratumPool.Metrics;
using StratumPool.Stratum;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.Stratum;

/// <summary>The periodic sweep, driven by a fake clock: keepalive jobs, idle vardiff, handshake timeout.</summary>
public sealed class StratumHousekeepingTests : IAsyncLifetime
{
    private readonly ScriptedJobManager _jobs = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private PoolServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await PoolServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Pool:Difficulty:Initial"] = "64",
                ["Pool:Difficulty:VarDiff:RetargetTime"] = "90",
                ["Pool:Difficulty:VarDiff:TargetTime"] = "15",
                ["Pool:KeepaliveInterval"] = "00:01:30",
                ["Pool:HandshakeTimeout"] = "00:00:30",
            },
            s =>
            {
                s.AddSingleton<IJobManager>(_jobs);
                s.AddSingleton<TimeProvider>(_time);
            });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private StratumServerService Service => _server.App.Services.GetServices<IHostedService>().OfType<StratumServerService>().Single();

    [Fact]
    public async Task Silent_session_gets_a_lower_difficulty_and_a_job_before_miners_give_up()
    {
        await using var client = await StratumLineClient.ConnectAsync(_server.StratumEndPoint);
        await client.SendAsync(1, "mining.subscribe", "t");
        await client.ReadReplyAsync();
        await client.SendAsync(2, "mining.authorize", "silent.rig", "x");
        await client.ReadNotificationAsync("mining.notify");

        _time.Advance(TimeSpan.FromSeconds(60));
        Service.Sweep();
        _time.Advance(TimeSpan.FromSeconds(31));
        Service.Sweep();

        var skipped = new List<JsonElement>();
        var notify = await client.ReadNotificationAsync("mining.notify", skipped);
        Assert.False(notify.GetProperty("params")[8].GetBoolean());
        var setDifficulty = skipped.Single(m => m.GetProperty("method").GetString() == "mining.set_difficulty");
        var lowered = setDifficulty.GetProperty("params")[0].GetDouble();
        Assert.InRange(lowered, 64 * 15 / 92.0, 64 * 15 / 90.0);
    }

    [Fact]
    public async Task Connection_that_never_subscribes_is_closed_after_the_handshake_timeout()
    {
        await using var client = await StratumLineClient.ConnectAsync(_server.StratumEndPoint);

        // The server may not have accepted the connection yet when the clock first moves: repeat, bounded.
        var closed = false;
        for (var i = 0; i < 50 && !closed; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(31));
            Service.Sweep();
            closed = await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(200));
        }

        Assert.True(closed);
        Assert.Equal(1, _server.Get<PoolMetrics>().SessionsClosed.WithLabels("handshake_timeout").Value);
    }
}
