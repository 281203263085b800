using Microsoft.Extensions.Logging.Abstractions;
using StratumProxy.Acme;
using StratumProxy.Acme.Challenges;
using StratumProxy.Configuration;
using StratumProxy.FunctionalTests.Tls;

namespace StratumProxy.FunctionalTests.Acme;

/// <summary>Issuer, renewal service and listener factory wired as the host wires them, over a temporary data directory.</summary>
internal sealed class AcmeTestStack : IDisposable
{
    public static readonly AcmeClientTuning FastTuning = new()
    {
        DefaultPollInterval = TimeSpan.FromMilliseconds(100),
        MaxPollInterval = TimeSpan.FromSeconds(2),
        TransientRetryDelay = TimeSpan.FromMilliseconds(200),
        OrderTimeout = TimeSpan.FromMinutes(2),
    };

    private readonly bool _ownsEnvironment;

    public AcmeTestStack(PebbleFixture pebble, AcmeChallengeKind challenge, TimeProvider? renewalClock = null, AcmeRenewalTuning? renewalTuning = null, string? directoryUrl = null, TlsTestEnvironment? environment = null)
    {
        _ownsEnvironment = environment is null;
        Environment = environment ?? new TlsTestEnvironment();
        Options = new AcmeOptions
        {
            DirectoryUrl = directoryUrl ?? pebble.DirectoryUrl,
            DirectoryCertificateAuthority = pebble.DirectoryCertificateAuthority,
            Email = "ops@example.com",
            AcceptTermsOfService = true,
            Challenge = challenge,
            StoragePath = Path.Combine(Environment.DataPath, "acme"),
            RenewBefore = TimeSpan.FromMinutes(20),
        };
        Metrics = new AcmeMetrics(Environment.MetricFactory);
        IAcmeChallengeResponder responder = challenge == AcmeChallengeKind.Http01 ? HttpChallenges : Environment.AlpnChallenges;
        Issuer = new AcmeCertificateIssuer(Options, responder, Metrics, NullLoggerFactory.Instance, TimeProvider.System, FastTuning);
        Renewal = new AcmeRenewalService(Options, Issuer, Environment.SelfSigned, NullLogger<AcmeRenewalService>.Instance, renewalClock ?? TimeProvider.System, renewalTuning);
        Factory = Environment.NewFactory(acme: Renewal);
    }

    public TlsTestEnvironment Environment { get; }

    public AcmeOptions Options { get; }

    public AcmeMetrics Metrics { get; }

    public Http01ChallengeStore HttpChallenges { get; } = new();

    public AcmeCertificateIssuer Issuer { get; }

    public AcmeRenewalService Renewal { get; }

    public StratumProxy.Tls.TlsListenerFactory Factory { get; }

    public void Dispose()
    {
        Renewal.Dispose();
        Factory.Dispose();
        Issuer.Dispose();
        if (_ownsEnvironment)
        {
            Environment.Dispose();
        }
    }
}
