using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using StratumProxy.Acme.Challenges;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>A temporary data directory, an isolated metric registry and a listener factory over them.</summary>
internal sealed class TlsTestEnvironment : IDisposable
{
    public TlsTestEnvironment()
    {
        DataPath = Path.Combine(Path.GetTempPath(), "stratum-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataPath);
        Registry = Metrics.NewCustomRegistry();
        MetricFactory = Metrics.WithCustomRegistry(Registry);
        TlsMetrics = new TlsMetrics(MetricFactory);
        SelfSigned = NewSelfSignedStore();
    }

    public string DataPath { get; }

    public CollectorRegistry Registry { get; }

    public IMetricFactory MetricFactory { get; }

    public TlsMetrics TlsMetrics { get; }

    public SelfSignedCertificateStore SelfSigned { get; }

    public TlsAlpnChallengeStore AlpnChallenges { get; } = new();

    public SelfSignedCertificateStore NewSelfSignedStore() =>
        new(DataPath, NullLogger<SelfSignedCertificateStore>.Instance, TimeProvider.System);

    public TlsListenerFactory NewFactory(TimeSpan? filePollInterval = null, StratumProxy.Acme.AcmeRenewalService? acme = null) =>
        new(TlsMetrics, SelfSigned, acme, AlpnChallenges, NullLoggerFactory.Instance, TimeProvider.System)
        {
            FilePollInterval = filePollInterval ?? TimeSpan.FromMilliseconds(100),
        };

    public void Dispose()
    {
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
