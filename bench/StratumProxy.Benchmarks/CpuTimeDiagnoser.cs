using System.Diagnostics;
using BenchmarkDotNet.Analysers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;

namespace StratumProxy.Benchmarks;

/// <summary>
/// Process CPU time (user + kernel, every thread) per operation over the actual iterations. On a machine shared with
/// other jobs the wall-clock mean also counts the time the scheduler gave to them; CPU time does not, so it is the
/// figure to compare between runs there (as CPU per round trip is for the proxy harness).
/// </summary>
public sealed class CpuTimeDiagnoser : IDiagnoser
{
    public static readonly CpuTimeDiagnoser Default = new();

    private readonly Dictionary<BenchmarkCase, TimeSpan> _started = [];
    private readonly Dictionary<BenchmarkCase, TimeSpan> _spent = [];

    public IEnumerable<string> Ids => ["CpuTime"];

    public IEnumerable<IExporter> Exporters => [];

    public IEnumerable<IAnalyser> Analysers => [];

    public RunMode GetRunMode(BenchmarkCase benchmarkCase) => RunMode.NoOverhead;

    public void Handle(HostSignal signal, DiagnoserActionParameters parameters)
    {
        if (signal is not (HostSignal.BeforeActualRun or HostSignal.AfterActualRun))
        {
            return;
        }

        var process = parameters.Process ?? Process.GetCurrentProcess();
        process.Refresh();
        var now = process.TotalProcessorTime;
        if (signal == HostSignal.BeforeActualRun)
        {
            _started[parameters.BenchmarkCase] = now;
        }
        else if (_started.TryGetValue(parameters.BenchmarkCase, out var started))
        {
            _spent[parameters.BenchmarkCase] = now - started;
        }
    }

    public IEnumerable<Metric> ProcessResults(DiagnoserResults results)
    {
        // TotalOperations also counts pilot and warm-up iterations; the CPU time spans the actual ones only.
        var operations = results.Measurements
            .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual)
            .Sum(m => m.Operations);
        if (!_spent.TryGetValue(results.BenchmarkCase, out var spent) || operations <= 0)
        {
            yield break;
        }

        var nanosecondsPerOperation = spent.TotalNanoseconds / operations;
        yield return new Metric(CpuPerOperation.Instance, nanosecondsPerOperation);
        if (nanosecondsPerOperation > 0)
        {
            yield return new Metric(OperationsPerCpuSecond.Instance, 1e9 / nanosecondsPerOperation);
        }
    }

    public void DisplayResults(ILogger logger)
    {
    }

    public IEnumerable<ValidationError> Validate(ValidationParameters validationParameters) => [];

    private sealed class CpuPerOperation : IMetricDescriptor
    {
        public static readonly CpuPerOperation Instance = new();

        public string Id => "CpuTimePerOperation";

        public string DisplayName => "CPU ns/op";

        public string Legend => "Process CPU time (user + kernel, all threads) per operation over the actual iterations";

        public string NumberFormat => "N0";

        public UnitType UnitType => UnitType.Dimensionless;

        public string Unit => "ns";

        public bool TheGreaterTheBetter => false;

        public int PriorityInCategory => 0;

        public bool GetIsAvailable(Metric metric) => true;
    }

    private sealed class OperationsPerCpuSecond : IMetricDescriptor
    {
        public static readonly OperationsPerCpuSecond Instance = new();

        public string Id => "OperationsPerCpuSecond";

        public string DisplayName => "ops/CPU-s";

        public string Legend => "Operations per second of process CPU time: 1e9 / CPU ns/op";

        public string NumberFormat => "N0";

        public UnitType UnitType => UnitType.Dimensionless;

        public string Unit => "";

        public bool TheGreaterTheBetter => true;

        public int PriorityInCategory => 1;

        public bool GetIsAvailable(Metric metric) => true;
    }
}
