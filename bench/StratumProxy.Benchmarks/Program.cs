using BenchmarkDotNet.Running;

// Hot-path micro-benchmarks. Run all: dotnet run -c Release --project bench/StratumProxy.Benchmarks -- --filter '*'
// One class: --filter '*LineFraming*'. See bench/README.md.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
