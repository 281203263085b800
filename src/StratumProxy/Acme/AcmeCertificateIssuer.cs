using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StratumProxy.Acme.Challenges;
using StratumProxy.Configuration;
using StratumProxy.Tls;

namespace StratumProxy.Acme;

/// <summary>
/// Runs one ACME order end to end for a host set: account, newOrder, authorizations and their challenge,
/// finalize with a fresh P-256 key and CSR, chain download, storage. Orders are serialised.
/// </summary>
internal sealed partial class AcmeCertificateIssuer : IDisposable
{
    private readonly AcmeOptions _options;
    private readonly IAcmeChallengeResponder _responder;
    private readonly AcmeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AcmeClientTuning _tuning;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<(AcmeClient Client, HttpClient Http)> _client;

    public AcmeCertificateIssuer(AcmeOptions options, IAcmeChallengeResponder responder, AcmeMetrics metrics, ILoggerFactory loggers, TimeProvider time, AcmeClientTuning? tuning = null)
    {
        _options = options;
        _responder = responder;
        _metrics = metrics;
        _logger = loggers.CreateLogger<AcmeCertificateIssuer>();
        _time = time;
        _tuning = tuning ?? new AcmeClientTuning();
        Store = new AcmeCertificateStore(options.StoragePath);
        _client = new Lazy<(AcmeClient, HttpClient)>(() =>
        {
            // Created on first order, never at start-up: a still-valid stored certificate needs no CA.
            var http = AcmeHttpClientFactory.Create(options.DirectoryCertificateAuthority);
            var key = AcmeAccountKeyStore.LoadOrCreate(options.StoragePath);
            return (new AcmeClient(http, key, new Uri(options.DirectoryUrl), loggers.CreateLogger<AcmeClient>(), time, _tuning), http);
        });
    }

    public AcmeCertificateStore Store { get; }

    /// <summary>The wire client, created on first use.</summary>
    public AcmeClient Client => _client.Value.Client;

    public async Task<ServerCertificate> IssueAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var budget = new CancellationTokenSource(_tuning.OrderTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
            var certificate = await RunOrderAsync(hosts, linked.Token);
            _metrics.OrderSucceeded();
            LogIssued(_logger, string.Join(", ", hosts), certificate.NotAfter, certificate.Thumbprint);
            return certificate;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics.OrderFailed();
            if (ex is AcmeProblemException problem)
            {
                LogOrderProblem(_logger, string.Join(", ", hosts), problem.Problem.Type, problem.Problem.Detail, ex);
            }
            else
            {
                LogOrderFailed(_logger, string.Join(", ", hosts), ex.Message, ex);
            }

            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<(AcmeRenewalInfo Info, TimeSpan? RetryAfter)?> GetRenewalInfoAsync(X509Certificate2 certificate, CancellationToken cancellationToken) =>
        Client.GetRenewalInfoAsync(certificate, cancellationToken);

    private async Task<ServerCertificate> RunOrderAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken)
    {
        var client = Client;
        if (client.AccountUrl is null)
        {
            await client.RegisterAccountAsync(_options.Email, _options.AcceptTermsOfService, _options.EabKeyId, _options.EabHmacKey, cancellationToken);
        }

        var (order, orderUrl) = await client.NewOrderAsync(hosts, cancellationToken);
        LogOrderCreated(_logger, string.Join(", ", hosts), orderUrl);
        foreach (var authorizationUrl in order.Authorizations)
        {
            await AuthorizeAsync(client, authorizationUrl, cancellationToken);
        }

        order = await PollOrderAsync(client, orderUrl, o => o.Status is not AcmeStatus.Pending, cancellationToken);
        if (order.Status != AcmeStatus.Ready && order.Status != AcmeStatus.Valid)
        {
            throw OrderFailure(order, orderUrl);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (order.Status == AcmeStatus.Ready)
        {
            var (finalized, _) = await client.FinalizeAsync(order.Finalize, CreateCsr(hosts, key), cancellationToken);
            order = finalized;
        }

        order = await PollOrderAsync(client, orderUrl, o => o.Status is AcmeStatus.Valid or AcmeStatus.Invalid, cancellationToken, order);
        if (order.Status != AcmeStatus.Valid || order.Certificate is null)
        {
            throw OrderFailure(order, orderUrl);
        }

        var chainPem = await client.DownloadCertificateAsync(order.Certificate, cancellationToken);
        return Store.Save(hosts, chainPem, key);
    }

    private async Task AuthorizeAsync(AcmeClient client, string authorizationUrl, CancellationToken cancellationToken)
    {
        var (authorization, _) = await client.GetAuthorizationAsync(authorizationUrl, cancellationToken);
        if (authorization.Status == AcmeStatus.Valid)
        {
            return;
        }

        var host = authorization.Identifier.Value;
        var challenge = authorization.Challenges.FirstOrDefault(c => c.Type == _responder.ChallengeType)
            ?? throw new AcmeProblemException($"The CA offers no {_responder.ChallengeType} challenge for {host} (offered: {string.Join(", ", authorization.Challenges.Select(c => c.Type))}).");
        var token = challenge.Token ?? throw new AcmeProblemException($"The {challenge.Type} challenge for {host} has no token.");
        _responder.Provision(host, token, client.AccountKey.KeyAuthorization(token));
        try
        {
            LogChallenge(_logger, challenge.Type, host);
            await client.AnswerChallengeAsync(challenge.Url, cancellationToken);
            var delay = _tuning.DefaultPollInterval;
            while (true)
            {
                (authorization, var retryAfter) = await client.GetAuthorizationAsync(authorizationUrl, cancellationToken);
                if (authorization.Status == AcmeStatus.Valid)
                {
                    return;
                }

                if (authorization.Status != AcmeStatus.Pending)
                {
                    var failed = authorization.Challenges.FirstOrDefault(c => c.Error is not null)?.Error;
                    throw new AcmeProblemException(
                        failed ?? new AcmeProblem { Detail = $"authorization {authorization.Status}" },
                        failed?.Status ?? 0,
                        authorizationUrl);
                }

                await Task.Delay(PollDelay(retryAfter, ref delay), _time, cancellationToken);
            }
        }
        finally
        {
            _responder.Remove(host, token);
        }
    }

    private async Task<AcmeOrder> PollOrderAsync(AcmeClient client, string orderUrl, Func<AcmeOrder, bool> done, CancellationToken cancellationToken, AcmeOrder? current = null)
    {
        var delay = _tuning.DefaultPollInterval;
        TimeSpan? retryAfter = null;
        while (true)
        {
            if (current is not null && done(current))
            {
                return current;
            }

            if (current is not null)
            {
                await Task.Delay(PollDelay(retryAfter, ref delay), _time, cancellationToken);
            }

            (current, retryAfter) = await client.GetOrderAsync(orderUrl, cancellationToken);
        }
    }

    /// <summary>Retry-After when the server sends it (capped), else a gently growing default.</summary>
    private TimeSpan PollDelay(TimeSpan? retryAfter, ref TimeSpan fallback)
    {
        if (retryAfter is { } serverSays)
        {
            return serverSays < _tuning.MaxPollInterval ? serverSays : _tuning.MaxPollInterval;
        }

        var wait = fallback;
        fallback = TimeSpan.FromTicks(Math.Min(fallback.Ticks * 2, _tuning.MaxPollInterval.Ticks));
        return wait;
    }

    internal static byte[] CreateCsr(IReadOnlyList<string> hosts, ECDsa key)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + hosts[0]), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            san.AddDnsName(host);
        }

        request.CertificateExtensions.Add(san.Build());
        return request.CreateSigningRequest();
    }

    private static AcmeProblemException OrderFailure(AcmeOrder order, string orderUrl) =>
        new(order.Error ?? new AcmeProblem { Detail = $"order ended {order.Status}" }, order.Error?.Status ?? 0, orderUrl);

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Http.Dispose();
            _client.Value.Client.AccountKey.Dispose();
        }

        _gate.Dispose();
    }
}
