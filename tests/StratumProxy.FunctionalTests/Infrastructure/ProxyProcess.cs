using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>
/// The proxy as operators run it: its own process (<c>dotnet StratumProxy.dll --config FILE</c>), with every line of
/// standard output and error kept for the test to read.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _stderr = new();
    private bool _drained;
    private bool _disposed;

    private ProxyProcess(Process process) => _process = process;

    /// <summary>Lines written to standard output so far.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    public string StandardOutput => string.Join('\n', _lines);

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <param name="openFilesLimit">Run under <c>ulimit -n</c>: it lowers the hard limit too, so the runtime cannot raise it back.</param>
    public static ProxyProcess Start(string configPath, string workingDirectory, int? openFilesLimit = null)
    {
        var proxyDll = Path.Combine(AppContext.BaseDirectory, "StratumProxy.dll");
        var startInfo = openFilesLimit is { } limit
            ? new ProcessStartInfo("/bin/bash", ["-c", $"ulimit -n {limit.ToString(CultureInfo.InvariantCulture)} && exec dotnet \"$0\" --config \"$1\"", proxyDll, configPath])
            : new ProcessStartInfo("dotnet", [proxyDll, "--config", configPath]);
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.WorkingDirectory = workingDirectory;

        var proxy = new ProxyProcess(new Process { StartInfo = startInfo });
        proxy._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                proxy._lines.Enqueue(e.Data);
            }
        };
        proxy._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (proxy._stderr)
                {
                    proxy._stderr.AppendLine(e.Data);
                }
            }
        };
        proxy._process.Start();
        proxy._process.BeginOutputReadLine();
        proxy._process.BeginErrorReadLine();
        return proxy;
    }

    /// <summary>Waits for the process to end by itself; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        Drain();
        return true;
    }

    /// <summary>Stops it as systemd would: SIGTERM, then a kill when it has not ended within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            if (!await WaitForExitAsync(grace))
            {
                Kill();
            }
        }

        Drain();
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        Drain();
    }

    /// <summary>Waits until the redirected streams are read to their end.</summary>
    private void Drain()
    {
        if (!_drained)
        {
            _process.WaitForExit();
            _drained = true;
        }
    }
}
