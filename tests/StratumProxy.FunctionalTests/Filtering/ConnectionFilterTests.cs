using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using StratumProxy.Filtering;

namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>The accept-time filters on a real Kestrel listener, with real sockets on loopback.</summary>
public sealed class ConnectionFilterTests
{
    private const string Prefix = "Proxy:Listeners:" + FilteredEchoServer.Listener + ":";

    [Fact]
    public async Task Per_address_limit_refuses_the_extra_connection_and_frees_the_slot_on_close()
    {
        await using var server = await FilteredEchoServer.StartAsync(new() { [Prefix + "MaxConnectionsPerIp"] = "2" });
        var counter = server.Services.GetRequiredService<IConnectionCounter>();
        using var first = await server.ConnectAdmittedAsync();
        using var second = await server.ConnectAdmittedAsync();
        Assert.True(first is not null);
        Assert.True(second is not null);

        using (var third = await server.ConnectAdmittedAsync())
        {
            Assert.True(third is null);
        }

        Assert.Equal(1, server.Rejected(RejectionReasons.IpLimit));

        first!.Close();
        await FilteredEchoServer.WaitUntilAsync(() => counter.CountFor(IPAddress.Loopback) == 1, "the closed connection's slot is released");
        using var fourth = await server.ConnectAdmittedAsync();
        Assert.True(fourth is not null);
        Assert.Equal(1, server.Rejected(RejectionReasons.IpLimit));
    }

    [Fact]
    public async Task Listener_override_wins_over_the_global_per_address_limit()
    {
        await using var raised = await FilteredEchoServer.StartAsync(new()
        {
            ["Proxy:Limits:MaxConnectionsPerIp"] = "1",
            [Prefix + "MaxConnectionsPerIp"] = "3",
        });
        var clients = new List<TcpClient?>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await raised.ConnectAdmittedAsync());
                Assert.True(clients[^1] is not null, $"connection {i + 1} of 3");
            }

            clients.Add(await raised.ConnectAdmittedAsync());
            Assert.True(clients[^1] is null);
        }
        finally
        {
            clients.ForEach(c => c?.Dispose());
        }

        await using var unlimited = await FilteredEchoServer.StartAsync(new()
        {
            ["Proxy:Limits:MaxConnectionsPerIp"] = "1",
            [Prefix + "MaxConnectionsPerIp"] = "0",
        });
        using var a = await unlimited.ConnectAdmittedAsync();
        using var b = await unlimited.ConnectAdmittedAsync();
        Assert.True(a is not null);
        Assert.True(b is not null, "0 on the listener means unlimited even with a global limit of 1");
    }

    [Fact]
    public async Task Global_limit_applies_without_a_listener_override()
    {
        await using var server = await FilteredEchoServer.StartAsync(new() { ["Proxy:Limits:MaxConnectionsPerIp"] = "1", [Prefix + "Endpoint"] = "127.0.0.1:0" });
        using var first = await server.ConnectAdmittedAsync();
        Assert.True(first is not null);
        using var second = await server.ConnectAdmittedAsync();
        Assert.True(second is null);
        Assert.Equal(1, server.Rejected(RejectionReasons.IpLimit));
    }

    [Fact]
    public async Task Total_limit_refuses_with_max_connections()
    {
        await using var server = await FilteredEchoServer.StartAsync(new() { ["Proxy:Limits:MaxConnections"] = "2" });
        using var first = await server.ConnectAdmittedAsync();
        using var second = await server.ConnectAdmittedAsync();
        Assert.True(first is not null);
        Assert.True(second is not null);
        using var third = await server.ConnectAdmittedAsync();
        Assert.True(third is null);
        Assert.Equal(1, server.Rejected(RejectionReasons.MaxConnections));
        Assert.Equal(0, server.Rejected(RejectionReasons.IpLimit));
    }

    [Fact]
    public async Task New_connection_rate_refuses_beyond_the_budget_a_minute()
    {
        await using var server = await FilteredEchoServer.StartAsync(new() { [Prefix + "NewConnectionsPerIpPerMinute"] = "3" });
        for (var i = 0; i < 3; i++)
        {
            using var client = await server.ConnectAdmittedAsync();
            Assert.True(client is not null, $"connection {i + 1} of 3");
        }

        using var refused = await server.ConnectAdmittedAsync();
        Assert.True(refused is null);
        Assert.Equal(1, server.Rejected(RejectionReasons.RateLimit));
    }

    [Fact]
    public async Task Rate_is_counted_per_presented_address()
    {
        await using var server = await FilteredEchoServer.StartAsync(
            new() { ["Proxy:Limits:NewConnectionsPerIpPerMinute"] = "1" }, proxyHeaders: true);
        using var first = await server.ConnectAdmittedAsync(IPAddress.Parse("203.0.113.1"));
        Assert.True(first is not null);
        using var again = await server.ConnectAdmittedAsync(IPAddress.Parse("203.0.113.1"));
        Assert.True(again is null);
        using var other = await server.ConnectAdmittedAsync(IPAddress.Parse("203.0.113.2"));
        Assert.True(other is not null);
    }

    [Fact]
    public async Task Banned_addresses_are_refused_until_the_ban_is_lifted_and_the_ban_is_on_disk()
    {
        await using var server = await FilteredEchoServer.StartAsync(
            new() { ["Proxy:Banning:Enabled"] = "true", ["Proxy:Banning:MalformedLinesBeforeBan"] = "2" }, proxyHeaders: true);
        var bans = server.Services.GetRequiredService<BanPolicy>();
        var offender = IPAddress.Parse("198.51.100.20");

        Assert.False(bans.RecordMalformedLine(offender));
        using (var stillAdmitted = await server.ConnectAdmittedAsync(offender))
        {
            Assert.True(stillAdmitted is not null);
        }

        Assert.True(bans.RecordMalformedLine(offender));
        using (var refused = await server.ConnectAdmittedAsync(offender))
        {
            Assert.True(refused is null);
        }

        using (var bystander = await server.ConnectAdmittedAsync(IPAddress.Parse("198.51.100.21")))
        {
            Assert.True(bystander is not null);
        }

        Assert.Equal(1, server.Rejected(RejectionReasons.Banned));
        await ((FileBanStore)server.Services.GetRequiredService<IBanStore>()).FlushAsync();
        Assert.Contains("198.51.100.20", await File.ReadAllTextAsync(Path.Combine(server.DataPath, FileBanStore.FileName)), StringComparison.Ordinal);

        Assert.True(bans.Lift(offender));
        using var admittedAgain = await server.ConnectAdmittedAsync(offender);
        Assert.True(admittedAgain is not null);
    }

    [Fact]
    public async Task Bans_survive_a_restart_of_the_listener()
    {
        var contentRoot = Directory.CreateTempSubdirectory("ban-restart-");
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Proxy:Banning:Enabled"] = "true",
                ["Proxy:DataPath"] = Path.Combine(contentRoot.FullName, "data"),
            };
            await using (var before = await FilteredEchoServer.StartAsync(settings, proxyHeaders: true))
            {
                before.Services.GetRequiredService<BanPolicy>().Ban(IPAddress.Parse("198.51.100.30"), "operator", TimeSpan.FromHours(1));
                await ((FileBanStore)before.Services.GetRequiredService<IBanStore>()).FlushAsync();
            }

            await using var after = await FilteredEchoServer.StartAsync(settings, proxyHeaders: true);
            using var refused = await after.ConnectAdmittedAsync(IPAddress.Parse("198.51.100.30"));
            Assert.True(refused is null);
            Assert.Equal(1, after.Rejected(RejectionReasons.Banned));
        }
        finally
        {
            contentRoot.Delete(recursive: true);
        }
    }
}
