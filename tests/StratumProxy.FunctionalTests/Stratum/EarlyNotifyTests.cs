using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using StratumProxy.FunctionalTests.Infrastructure;

namespace StratumProxy.FunctionalTests.Stratum;

/// <summary>
/// A new job reaches every miner of a pool node from the first copy the node writes, and no miner gets it twice;
/// a pool that gives each connection its own jobs, or a miner whose difficulty just changed, is served as sent.
/// The pool is raw sockets the test writes to one by one, so it decides which copy arrives first.
/// </summary>
public sealed class EarlyNotifyTests
{
    private const int Miners = 6;
    private const string Reply = """{"id":9,"result":true,"error":null}""";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_new_job_reaches_every_miner_from_the_first_copy_and_the_own_copies_are_dropped()
    {
        await using var pool = await PoolNode.StartAsync();
        await pool.BroadcastAsync(Notify("a"));

        // Only the first connection has the new job; every miner hears of it all the same.
        await pool.FirstCopyReachesAllAsync(Notify("b"));

        // The others' own copies come later and are not sent again: the next line each miner reads is the reply.
        await pool.LateCopiesThenReplyAsync(Notify("b"));
        var metrics = await pool.MetricsAsync();
        Assert.Contains($"stratum_proxy_notify_sent_early_total{{cluster=\"pool\",destination=\"d0\"}} {Miners - 1}", metrics);
        Assert.Contains($"stratum_proxy_notify_duplicates_dropped_total{{cluster=\"pool\",destination=\"d0\"}} {Miners - 1}", metrics);

        // Each session still took note of its job from its own copy.
        Assert.All((await pool.Proxy.StatusAsync())["sessions"]!.AsArray(), s => Assert.Equal("b", s!["jobId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Two_jobs_in_quick_succession_both_go_early_and_a_late_copy_of_the_older_never_follows_the_newer()
    {
        await using var pool = await PoolNode.StartAsync();
        await pool.BroadcastAsync(Notify("a"));

        // b goes early; a second connection confirms it, so the next job after it may go early too.
        await pool.FirstCopyReachesAllAsync(Notify("b"));
        await pool.WriteAsync(1, Notify("b"));
        await pool.WaitForMetricAsync("stratum_proxy_notify_duplicates_dropped_total{cluster=\"pool\",destination=\"d0\"} 1");
        await pool.FirstCopyReachesAllAsync(Notify("c"));

        // The other connections only now bring b and c: a miner that went back to b would mine stale work.
        await pool.WriteAsync(1, Notify("c") + Reply + "\n");
        for (var i = 2; i < Miners; i++)
        {
            await pool.WriteAsync(i, Notify("b") + Notify("c") + Reply + "\n");
        }

        await pool.WriteAsync(0, Reply + "\n");
        await pool.ExpectAllAsync(Reply);
        Assert.Contains($"stratum_proxy_notify_duplicates_dropped_total{{cluster=\"pool\",destination=\"d0\"}} {2 * (Miners - 1)}", await pool.MetricsAsync());
    }

    [Fact]
    public async Task Over_tls_a_new_job_reaches_every_miner_from_the_first_copy_encrypted_for_each()
    {
        await using var pool = await PoolNode.StartAsync(tls: true);
        await pool.BroadcastAsync(Notify("a"));
        await pool.FirstCopyReachesAllAsync(Notify("b"));
        await pool.LateCopiesThenReplyAsync(Notify("b"));
    }

    [Fact]
    public async Task Jobs_of_a_connection_of_its_own_go_only_to_that_miner()
    {
        await using var pool = await PoolNode.StartAsync();
        for (var i = 0; i < Miners; i++)
        {
            await pool.WriteAsync(i, Notify("a" + i));
            Assert.Equal(Notify("a" + i).TrimEnd('\n'), await pool.ReadMinerLineAsync(i));
        }

        await pool.WriteAsync(0, Notify("b0"));
        Assert.Equal(Notify("b0").TrimEnd('\n'), await pool.ReadMinerLineAsync(0));
        for (var i = 1; i < Miners; i++)
        {
            await pool.WriteAsync(i, Notify("b" + i));
            Assert.Equal(Notify("b" + i).TrimEnd('\n'), await pool.ReadMinerLineAsync(i));
        }

        Assert.Contains("stratum_proxy_notify_sent_early_total{cluster=\"pool\",destination=\"d0\"} 0", await pool.MetricsAsync());
    }

    [Fact]
    public async Task A_job_never_goes_early_to_a_miner_that_had_a_different_job_before_it()
    {
        // A solo pool: three miners share one payout address (one job), the others have jobs of their own.
        await using var pool = await PoolNode.StartAsync();
        for (var i = 0; i < Miners; i++)
        {
            var job = Notify(i < 3 ? "a" : "x" + i);
            await pool.WriteAsync(i, job);
            Assert.Equal(job.TrimEnd('\n'), await pool.ReadMinerLineAsync(i));
        }

        // The shared address's next job, on its three connections; each other miner's next line is its own job.
        for (var i = 0; i < 3; i++)
        {
            await pool.WriteAsync(i, Notify("b"));
            Assert.Equal(Notify("b").TrimEnd('\n'), await pool.ReadMinerLineAsync(i));
        }

        for (var i = 3; i < Miners; i++)
        {
            await pool.WriteAsync(i, Notify("y" + i));
            Assert.Equal(Notify("y" + i).TrimEnd('\n'), await pool.ReadMinerLineAsync(i));
        }
    }

    [Fact]
    public async Task A_job_sent_again_after_a_difficulty_change_reaches_the_miner_again()
    {
        await using var pool = await PoolNode.StartAsync();
        await pool.BroadcastAsync(Notify("a"));
        await pool.FirstCopyReachesAllAsync(Notify("b"));

        const string difficulty = """{"id":null,"method":"mining.set_difficulty","params":[64]}""";
        await pool.WriteAsync(1, difficulty + "\n" + Notify("b"));
        Assert.Equal(difficulty, await pool.ReadMinerLineAsync(1));
        Assert.Equal(Notify("b").TrimEnd('\n'), await pool.ReadMinerLineAsync(1));

        await pool.WriteAsync(2, Notify("b") + Reply + "\n");
        Assert.Equal(Reply, await pool.ReadMinerLineAsync(2));
    }

    [Fact]
    public async Task A_first_copy_that_follows_a_difficulty_change_is_that_miners_and_the_next_copy_sends_the_job_to_the_rest()
    {
        await using var pool = await PoolNode.StartAsync();
        await pool.BroadcastAsync(Notify("a"));

        // A new difficulty, then the job: it may be this miner's alone, so it goes to this miner only.
        const string difficulty = """{"id":null,"method":"mining.set_difficulty","params":[64]}""";
        await pool.WriteAsync(0, difficulty + "\n" + Notify("b"));
        Assert.Equal(difficulty, await pool.ReadMinerLineAsync(0));
        Assert.Equal(Notify("b").TrimEnd('\n'), await pool.ReadMinerLineAsync(0));

        // A second connection brings the same job after the one before it: now every other miner gets it, once.
        await pool.WriteAsync(1, Notify("b"));
        await pool.ExpectAllAsync(Notify("b"), from: 1);
        for (var i = 2; i < Miners; i++)
        {
            await pool.WriteAsync(i, Notify("b") + Reply + "\n");
        }

        await pool.WriteAsync(0, Reply + "\n");
        await pool.WriteAsync(1, Reply + "\n");
        await pool.ExpectAllAsync(Reply);
    }

    [Fact]
    public async Task Once_connections_bring_jobs_other_than_the_one_sent_early_no_more_are_sent_early()
    {
        await using var pool = await PoolNode.StartAsync();
        await pool.BroadcastAsync(Notify("a"));
        await pool.FirstCopyReachesAllAsync(Notify("b"));

        // Each connection then brings a job of its own instead: each is passed on, and sending early stops.
        for (var i = 1; i < Miners; i++)
        {
            await pool.WriteAsync(i, Notify("own" + i));
            Assert.Equal(Notify("own" + i).TrimEnd('\n'), await pool.ReadMinerLineAsync(i));
        }

        Assert.Contains("stratum_proxy_notify_mismatches_total{cluster=\"pool\",destination=\"d0\"} 5", await pool.MetricsAsync());

        // The same job to every connection in turn now reaches each miner with its own copy, not before.
        await pool.BroadcastAsync(Notify("c"));
        await pool.WriteAsync(0, Notify("d"));
        Assert.Equal(Notify("d").TrimEnd('\n'), await pool.ReadMinerLineAsync(0));
        await pool.OthersReadTheirOwnReplyNextAsync();
    }

    [Fact]
    public async Task With_EarlyNotify_off_every_miner_waits_for_its_own_copy()
    {
        await using var pool = await PoolNode.StartAsync(earlyNotify: false);
        await pool.BroadcastAsync(Notify("a"));
        await pool.WriteAsync(0, Notify("b"));
        Assert.Equal(Notify("b").TrimEnd('\n'), await pool.ReadMinerLineAsync(0));
        await pool.OthersReadTheirOwnReplyNextAsync();
    }

    private static string Notify(string job) =>
        $$"""{"id":null,"method":"mining.notify","params":["{{job}}","00","01","02",[],"20000000","1d00ffff","5f5e1000",true]}""" + "\n";

    /// <summary>A pool node of raw sockets with <see cref="Miners"/> miners connected through the proxy, paired by index.</summary>
    private sealed class PoolNode : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly List<TcpClient> _miners = [];
        private readonly List<StreamReader> _minerReaders = [];
        private readonly List<TcpClient> _poolSides = [];

        private PoolNode(TcpListener listener, ProxyTestHost proxy)
        {
            _listener = listener;
            Proxy = proxy;
        }

        public ProxyTestHost Proxy { get; }

        public static async Task<PoolNode> StartAsync(bool earlyNotify = true, bool tls = false)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var section = ProxyTestHost.SingleListener((IPEndPoint)listener.LocalEndpoint);
            section["Clusters"]!["pool"]!["EarlyNotify"] = earlyNotify;
            if (tls)
            {
                section["Listeners"]!["main"]!["Tls"] = new JsonObject { ["Certificate"] = "SelfSigned", ["Hosts"] = new JsonArray("pool.test") };
            }

            var node = new PoolNode(listener, await ProxyTestHost.StartAsync(section));
            for (var i = 0; i < Miners; i++)
            {
                // One at a time, so the pool's i-th connection is the i-th miner's.
                var miner = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
                await miner.ConnectAsync(node.Proxy.Listener("main"));
                node._miners.Add(miner);
                Stream stream = miner.GetStream();
                if (tls)
                {
                    var secure = new SslStream(stream, false, (_, _, _, _) => true);
                    using var timeout = new CancellationTokenSource(Deadline);
                    await secure.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "pool.test" }, timeout.Token);
                    stream = secure;
                }

                node._minerReaders.Add(new StreamReader(stream, Encoding.ASCII));
                node._poolSides.Add(await listener.AcceptTcpClientAsync().WaitAsync(Deadline));
            }

            // A session takes part in the node's broadcast once it is relayed, right after its pool connection.
            var deadline = DateTime.UtcNow + Deadline;
            while ((await node.Proxy.StatusAsync())["sessions"]!.AsArray().Count(s => s!["destination"] is not null) < Miners)
            {
                Assert.True(DateTime.UtcNow < deadline, "not every session reached its destination");
                await Task.Delay(20);
            }

            return node;
        }

        public async Task WriteAsync(int index, string text)
        {
            _poolSides[index].NoDelay = true;
            await _poolSides[index].GetStream().WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask().WaitAsync(Deadline);
        }

        public async Task WriteAllAsync(string text)
        {
            for (var i = 0; i < Miners; i++)
            {
                await WriteAsync(i, text);
            }
        }

        public async Task<string?> ReadMinerLineAsync(int index)
        {
            using var timeout = new CancellationTokenSource(Deadline);
            return await _minerReaders[index].ReadLineAsync(timeout.Token);
        }

        /// <summary>The same job to every connection in turn, and every miner has it.</summary>
        public async Task BroadcastAsync(string job)
        {
            await WriteAllAsync(job);
            await ExpectAllAsync(job);
        }

        /// <summary>Only the first connection has <paramref name="job"/>: every miner must get it all the same.</summary>
        public async Task FirstCopyReachesAllAsync(string job)
        {
            await WriteAsync(0, job);
            await ExpectAllAsync(job);
        }

        /// <summary>The other connections bring <paramref name="lines"/>, then a reply; the next line every miner reads is the reply.</summary>
        public async Task LateCopiesThenReplyAsync(string lines)
        {
            for (var i = 1; i < Miners; i++)
            {
                await WriteAsync(i, lines + Reply + "\n");
            }

            await WriteAsync(0, Reply + "\n");
            await ExpectAllAsync(Reply);
        }

        /// <summary>A reply on each other connection is the next line its miner reads: nothing was sent to it early.</summary>
        public async Task OthersReadTheirOwnReplyNextAsync()
        {
            for (var i = 1; i < Miners; i++)
            {
                await WriteAsync(i, Reply + "\n");
                Assert.Equal(Reply, await ReadMinerLineAsync(i));
            }
        }

        public async Task ExpectAllAsync(string line, int from = 0)
        {
            for (var i = from; i < Miners; i++)
            {
                Assert.Equal(line.TrimEnd('\n'), await ReadMinerLineAsync(i));
            }
        }

        public async Task WaitForMetricAsync(string series)
        {
            var deadline = DateTime.UtcNow + Deadline;
            string metrics;
            while (!(metrics = await MetricsAsync()).Contains(series, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, $"no {series} in:\n{metrics}");
                await Task.Delay(20);
            }
        }

        public async Task<string> MetricsAsync()
        {
            using var http = new HttpClient { BaseAddress = Proxy.ManagementUri, Timeout = Deadline };
            return await http.GetStringAsync("metrics");
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var reader in _minerReaders)
            {
                reader.Dispose();
            }

            foreach (var miner in _miners)
            {
                miner.Dispose();
            }

            foreach (var side in _poolSides)
            {
                side.Dispose();
            }

            await Proxy.DisposeAsync();
            _listener.Dispose();
        }
    }
}
