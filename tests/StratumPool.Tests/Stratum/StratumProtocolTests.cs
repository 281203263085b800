using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Stratum.Protocol.ProxyProtocol;
using StratumPool.Jobs;
using StratumPool.Metrics;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.Stratum;

/// <summary>The Stratum server over real loopback sockets, with a scripted chain side.</summary>
public sealed class StratumProtocolTests : IAsyncLifetime
{
    private readonly ScriptedJobManager _jobs = new();
    private PoolServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await PoolServer.StartAsync(
            new Dictionary<string, string?> { ["Pool:Difficulty:Initial"] = "2" },
            s => s.AddSingleton<IJobManager>(_jobs));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<StratumLineClient> ConnectAsync() => await StratumLineClient.ConnectAsync(_server.StratumEndPoint);

    private static async Task<JsonElement> SubscribeAsync(StratumLineClient client, params object?[] parameters)
    {
        await client.SendAsync(1, "mining.subscribe", parameters.Length == 0 ? ["test/1.0"] : parameters);
        return await client.ReadReplyAsync();
    }

    private static async Task AuthorizeAsync(StratumLineClient client, string worker = "miner.rig1")
    {
        await client.SendAsync(2, "mining.authorize", worker, "x");
        var reply = await client.ReadReplyAsync();
        Assert.True(reply.GetProperty("result").GetBoolean());
    }

    [Fact]
    public async Task Subscribe_gives_a_unique_4_byte_extranonce1_and_extranonce2_size_4()
    {
        await using var a = await ConnectAsync();
        await using var b = await ConnectAsync();
        var ra = (await SubscribeAsync(a)).GetProperty("result");
        var rb = (await SubscribeAsync(b)).GetProperty("result");

        Assert.Equal(8, ra[1].GetString()!.Length);
        Assert.NotEqual(ra[1].GetString(), rb[1].GetString());
        Assert.Equal(4, ra[2].GetInt32());
        Assert.Equal("mining.notify", ra[0][1][0].GetString());
    }

    [Fact]
    public async Task Reconnecting_miner_gets_its_previous_session_id_back()
    {
        string previous;
        await using (var first = await ConnectAsync())
        {
            previous = (await SubscribeAsync(first)).GetProperty("result")[1].GetString()!;
        }

        // The old session's release is asynchronous; retry a few times within a deadline.
        string? resumed = null;
        for (var attempt = 0; attempt < 50 && resumed != previous; attempt++)
        {
            await using var again = await ConnectAsync();
            resumed = (await SubscribeAsync(again, "test/1.0", previous)).GetProperty("result")[1].GetString();
            if (resumed != previous)
            {
                await Task.Yield();
            }
        }

        Assert.Equal(previous, resumed);
    }

    [Fact]
    public async Task Authorize_then_set_difficulty_before_notify()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await client.SendAsync(2, "mining.authorize", "anything.rig", "x");
        var messages = new List<JsonElement>();
        var notify = await client.ReadNotificationAsync("mining.notify", messages);

        var reply = messages.Single(m => m.TryGetProperty("result", out _));
        Assert.True(reply.GetProperty("result").GetBoolean());
        var setDifficulty = messages.Single(m => m.TryGetProperty("method", out var method) && method.GetString() == "mining.set_difficulty");
        Assert.Equal(2, setDifficulty.GetProperty("params")[0].GetDouble());
        Assert.Equal("1", notify.GetProperty("params")[0].GetString());
        Assert.True(notify.GetProperty("params")[8].GetBoolean());
    }

    [Fact]
    public async Task Every_submit_with_the_same_id_gets_its_reply_in_order()
    {
        _jobs.FirstShareDelay = TimeSpan.FromMilliseconds(300);
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await AuthorizeAsync(client);
        await client.ReadNotificationAsync("mining.notify");

        // Pipelined, all with id 4: accepted (slow), low difficulty, accepted, duplicate, stale job.
        var nonces = new[] { "00000001", "00000000", "00000002", "dddddddd", "00000003" };
        var lines = new StringBuilder();
        for (var i = 0; i < nonces.Length; i++)
        {
            var job = i == 4 ? "old" : "1";
            lines.Append(JsonSerializer.Serialize(new { id = 4, method = "mining.submit", @params = new[] { "miner.rig1", job, "00000001", "5f5e1000", nonces[i] } })).Append('\n');
        }

        await client.SendRawAsync(Encoding.UTF8.GetBytes(lines.ToString()));
        var replies = new List<JsonElement>();
        for (var i = 0; i < nonces.Length; i++)
        {
            replies.Add(await client.ReadReplyAsync());
        }

        Assert.All(replies, r => Assert.Equal(4, r.GetProperty("id").GetInt32()));
        Assert.True(replies[0].GetProperty("result").GetBoolean());
        Assert.Equal(23, replies[1].GetProperty("error")[0].GetInt32());
        Assert.True(replies[2].GetProperty("result").GetBoolean());
        Assert.Equal(22, replies[3].GetProperty("error")[0].GetInt32());
        Assert.Equal(21, replies[4].GetProperty("error")[0].GetInt32());
        Assert.Equal(nonces, _jobs.Submissions.Select(s => s.Nonce));

        var metrics = _server.Get<PoolMetrics>();
        Assert.Equal(2, metrics.Shares.WithLabels("accepted").Value);
        Assert.Equal(1, metrics.Shares.WithLabels("low_difficulty").Value);
    }

    [Fact]
    public async Task Submit_passes_the_session_context_to_the_chain_side()
    {
        await using var client = await ConnectAsync();
        var extraNonce1 = (await SubscribeAsync(client)).GetProperty("result")[1].GetString();
        await client.SendAsync(3, "mining.configure", new object[] { new[] { "version-rolling" }, new Dictionary<string, object> { ["version-rolling.mask"] = "ffffffff" } });
        await client.ReadReplyAsync();
        await AuthorizeAsync(client);
        await client.ReadNotificationAsync("mining.notify");
        await client.SendAsync(4, "mining.submit", "miner.rig1", "1", "0000002a", "5f5e1000", "00000001", "00002000");
        Assert.True((await client.ReadReplyAsync()).GetProperty("result").GetBoolean());

        var submission = Assert.Single(_jobs.Submissions);
        Assert.Equal(extraNonce1, Convert.ToHexStringLower(submission.ExtraNonce1));
        Assert.Equal(4, submission.ExtraNonce2Size);
        Assert.Equal(0x1fffe000u, submission.VersionRollingMask);
        Assert.Equal("00002000", submission.VersionBits);
        Assert.Equal(2, submission.Difficulty);
        Assert.Null(submission.PreviousDifficulty);
        Assert.Equal("127.0.0.1", submission.RemoteAddress?.ToString());
    }

    [Fact]
    public async Task Unauthorized_submit_is_refused_with_24()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await client.SendAsync(4, "mining.submit", "nobody", "1", "00000001", "5f5e1000", "00000001");
        var reply = await client.ReadReplyAsync();
        Assert.Equal(24, reply.GetProperty("error")[0].GetInt32());
        Assert.Empty(_jobs.Submissions);
    }

    [Fact]
    public async Task Submit_before_subscribe_is_refused_with_25()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(4, "mining.submit", "nobody", "1", "00000001", "5f5e1000", "00000001");
        var reply = await client.ReadReplyAsync();
        Assert.Equal(25, reply.GetProperty("error")[0].GetInt32());
    }

    [Fact]
    public async Task Unknown_method_gets_an_error_and_the_session_stays_open()
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(7, "mining.frobnicate", 1, 2);
        var reply = await client.ReadReplyAsync();
        Assert.Equal(7, reply.GetProperty("id").GetInt32());
        Assert.Equal(20, reply.GetProperty("error")[0].GetInt32());

        var subscribed = await SubscribeAsync(client);
        Assert.Equal(JsonValueKind.Array, subscribed.GetProperty("result").ValueKind);
    }

    [Fact]
    public async Task Malformed_json_closes_the_session_and_is_counted()
    {
        await using var client = await ConnectAsync();
        await client.SendLineAsync("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[");
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _server.Get<PoolMetrics>().SessionsClosed.WithLabels("malformed").Value);

        // The server itself is fine.
        await using var other = await ConnectAsync();
        Assert.Equal(JsonValueKind.Array, (await SubscribeAsync(other)).GetProperty("result").ValueKind);
    }

    [Fact]
    public async Task Suggest_difficulty_accepts_0_0001_and_applies_it_to_the_first_job()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await client.SendAsync(3, "mining.suggest_difficulty", 0.0001);
        Assert.True((await client.ReadReplyAsync()).GetProperty("result").GetBoolean());
        await client.SendAsync(2, "mining.authorize", "miner.bitaxe", "x");
        var skipped = new List<JsonElement>();
        await client.ReadNotificationAsync("mining.notify", skipped);
        var setDifficulty = skipped.Single(m => m.TryGetProperty("method", out var method) && method.GetString() == "mining.set_difficulty");
        Assert.Equal(0.0001, setDifficulty.GetProperty("params")[0].GetDouble());
    }

    [Fact]
    public async Task Suggest_difficulty_below_the_floor_is_clamped_and_string_values_work()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await AuthorizeAsync(client);
        await client.ReadNotificationAsync("mining.notify");
        await client.SendAsync(3, "mining.suggest_difficulty", "0.00000001");
        var skipped = new List<JsonElement>();
        await client.ReadNotificationAsync("mining.notify", skipped);

        var setDifficulty = skipped.Single(m => m.TryGetProperty("method", out var method) && method.GetString() == "mining.set_difficulty");
        Assert.Equal(0.0001, setDifficulty.GetProperty("params")[0].GetDouble());
    }

    [Theory]
    [InlineData("ffffffff", "1fffe000")]
    [InlineData("1fffe000", "1fffe000")]
    [InlineData("00fff000", "00ffe000")]
    public async Task Configure_answers_the_version_rolling_mask_within_the_pool_mask(string requested, string answered)
    {
        await using var client = await ConnectAsync();
        await client.SendAsync(1, "mining.configure", new object[]
        {
            new[] { "version-rolling", "minimum-difficulty", "subscribe-extranonce" },
            new Dictionary<string, object> { ["version-rolling.mask"] = requested, ["version-rolling.min-bit-count"] = 2, ["minimum-difficulty.value"] = 2048 },
        });
        var result = (await client.ReadReplyAsync()).GetProperty("result");

        Assert.True(result.GetProperty("version-rolling").GetBoolean());
        Assert.Equal(answered, result.GetProperty("version-rolling.mask").GetString());
        Assert.True(result.GetProperty("minimum-difficulty").GetBoolean());
        Assert.False(result.GetProperty("subscribe-extranonce").GetBoolean());
    }

    [Fact]
    public async Task Extranonce_subscribe_is_answered_true()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await client.SendAsync(3, "mining.extranonce.subscribe");
        var reply = await client.ReadReplyAsync();
        Assert.Equal(3, reply.GetProperty("id").GetInt32());
        Assert.True(reply.GetProperty("result").GetBoolean());
    }

    [Fact]
    public async Task New_jobs_are_broadcast_with_their_clean_flag()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        await AuthorizeAsync(client);
        await client.ReadNotificationAsync("mining.notify");

        _jobs.Publish("2", clean: true);
        var notify = await client.ReadNotificationAsync("mining.notify");
        Assert.Equal("2", notify.GetProperty("params")[0].GetString());
        Assert.True(notify.GetProperty("params")[8].GetBoolean());

        _jobs.Publish("3", clean: false);
        notify = await client.ReadNotificationAsync("mining.notify");
        Assert.Equal("3", notify.GetProperty("params")[0].GetString());
        Assert.False(notify.GetProperty("params")[8].GetBoolean());
    }

    [Fact]
    public async Task Proxy_protocol_v2_from_loopback_gives_the_miners_address()
    {
        await using var client = await ConnectAsync();
        var header = new System.Buffers.ArrayBufferWriter<byte>();
        ProxyProtocolWriter.WriteV2(header, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.77"), 40000), _server.StratumEndPoint);
        await client.SendRawAsync(header.WrittenSpan.ToArray());
        await SubscribeAsync(client);
        await AuthorizeAsync(client);
        await client.ReadNotificationAsync("mining.notify");
        await client.SendAsync(4, "mining.submit", "miner.rig1", "1", "0000002a", "5f5e1000", "00000001");
        await client.ReadReplyAsync();

        Assert.Equal("127.0.0.77", Assert.Single(_jobs.Submissions).RemoteAddress?.ToString());
    }

    [Fact]
    public async Task Shutdown_sends_client_reconnect()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client);
        var stopping = _server.App.StopAsync();
        var reconnect = await client.ReadNotificationAsync("client.reconnect");
        Assert.Equal(JsonValueKind.Array, reconnect.GetProperty("params").ValueKind);
        await stopping;
    }

    [Fact]
    public async Task Connection_refused_line_over_the_limit_closes_the_session()
    {
        await using var client = await ConnectAsync();
        await client.SendRawAsync(Encoding.ASCII.GetBytes(new string('x', 70_000)));
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _server.Get<PoolMetrics>().SessionsClosed.WithLabels("line_too_long").Value);
    }
}
