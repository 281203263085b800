using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using NBitcoin;
using NBitcoin.DataEncoders;
using StratumPool.Chain;
using StratumPool.Daemon;

namespace StratumPool.Tests.Daemon;

/// <summary>
/// A real bcoin full node in regtest on a free loopback port (installed by scripts/install-bcoin.sh into .tools/bcoin),
/// started for one test and killed at the end.
/// </summary>
internal sealed class BcoinNode : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;
    private readonly StringBuilder _output = new();

    private BcoinNode(Process process, string dataDir, DaemonEndpointOptions endpoint)
    {
        _process = process;
        _dataDir = dataDir;
        Endpoint = endpoint;
        Client = new DaemonClient(new HttpClient(), new ConfiguredDaemonEndpoints([endpoint]));
    }

    public DaemonEndpointOptions Endpoint { get; }

    public DaemonClient Client { get; }

    public static string? EntryPoint
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                dir = dir.Parent;
            }

            var entry = dir is null ? null : Path.Combine(dir.FullName, ".tools", "bcoin", "node_modules", "bcoin", "bin", "node");
            return entry is not null && File.Exists(entry) && FindNode() is not null ? entry : null;
        }
    }

    /// <summary>A bcoin regtest P2PKH address (prefix 0x3c, "R…"): bcoin refuses Bitcoin Core's regtest formats.</summary>
    public static string BcoinRegtestAddress(Key key) =>
        Encoders.Base58Check.EncodeData([0x3c, .. key.PubKey.Hash.ToBytes()]);

    public static async Task<BcoinNode> StartAsync()
    {
        var entry = EntryPoint ?? throw new InvalidOperationException("bcoin is not installed; run scripts/install-bcoin.sh");
        var port = FreePort();
        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var dataDir = Directory.CreateTempSubdirectory("bcoin-").FullName;
        var info = new ProcessStartInfo(FindNode()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            entry, "--network=regtest", "--memory=true", "--no-wallet", "--listen=false", "--workers=false",
            "--http-host=127.0.0.1", $"--http-port={port}", $"--api-key={apiKey}", $"--prefix={dataDir}", "--log-level=warning",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("bcoin did not start");
        var node = new BcoinNode(process, dataDir, new DaemonEndpointOptions { Url = $"http://127.0.0.1:{port}/", User = "x", Password = apiKey });
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    public async Task GenerateAsync(int blocks, string address) =>
        await Client.CallAsync("generatetoaddress", [blocks, address], CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_dataDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan budget)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < budget)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"bcoin exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint.Url)
                {
                    Content = new StringContent("""{"method":"getbestblockhash","params":[]}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"x:{Endpoint.Password}")));
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            // Polling interval of a bounded wait for the daemon's port.
            await Task.Delay(100);
        }

        throw new TimeoutException($"bcoin did not answer RPC within {budget}: {Output}");
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindNode()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "node");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs bcoin; skipped with a clear message only when it is not installed.</summary>
internal sealed class BcoinFactAttribute : FactAttribute
{
    public BcoinFactAttribute()
    {
        if (BcoinNode.EntryPoint is null)
        {
            Skip = "bcoin is not installed: run scripts/install-bcoin.sh (CI does).";
        }
    }
}
