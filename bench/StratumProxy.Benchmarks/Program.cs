using BenchmarkDotNet.Running;

namespace StratumProxy.Benchmarks;

/// <summary>
/// Hot-path micro-benchmarks. All: <c>dotnet run -c Release --project bench/StratumProxy.Benchmarks -- --filter '*'</c>;
/// one class: <c>--filter '*LineFraming*'</c>. See bench/README.md.
/// </summary>
public static class BenchmarkEntryPoint
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkEntryPoint).Assembly).Run(args);
}
