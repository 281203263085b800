using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace StratumProxy.Benchmarks;

/// <summary>
/// Hot-path micro-benchmarks. All: <c>dotnet run -c Release --project bench/StratumProxy.Benchmarks -- --filter '*'</c>;
/// one class: <c>--filter '*LineFraming*'</c>. See bench/README.md.
/// </summary>
public static class BenchmarkEntryPoint
{
    public static void Main(string[] args)
    {
        // The generated runner project rebuilds the proxy and pool; on a busy 2-core machine that outlasts the
        // default two minutes. CPU time per operation is reported next to the wall-clock mean for the same reason.
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .WithBuildTimeout(TimeSpan.FromMinutes(10))
            .AddDiagnoser(CpuTimeDiagnoser.Default);
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args, config);
    }
}
