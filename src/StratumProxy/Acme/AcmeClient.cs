using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace StratumProxy.Acme;

/// <summary>
/// The wire side of RFC 8555: directory, nonces, JWS-signed POSTs, account, orders, authorizations, challenges,
/// finalization, certificate download and ARI (RFC 9773). One instance per account key and directory; not
/// thread-safe for concurrent orders (the renewal service orders one certificate at a time).
/// </summary>
internal sealed partial class AcmeClient
{
    private const string JoseJson = "application/jose+json";
    private const string ProblemJson = "application/problem+json";
    private const int MaxBadNonceRetries = 10;

    private readonly HttpClient _http;
    private readonly AcmeAccountKey _key;
    private readonly Uri _directoryUrl;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _transient;
    private readonly object _nonceLock = new();
    private AcmeDirectory? _directory;
    private string? _nonce;
    private string? _accountUrl;

    public AcmeClient(HttpClient http, AcmeAccountKey key, Uri directoryUrl, ILogger logger, TimeProvider time, AcmeClientTuning? tuning = null)
    {
        _http = http;
        _key = key;
        _directoryUrl = directoryUrl;
        _logger = logger;
        _time = time;
        Tuning = tuning ?? new AcmeClientTuning();
        _transient = BuildTransientPipeline(Tuning, time, logger);
    }

    public AcmeClientTuning Tuning { get; }

    public AcmeAccountKey AccountKey => _key;

    /// <summary>How many <c>badNonce</c> answers were retried; tests read it to prove the path ran.</summary>
    public int BadNonceRetries { get; private set; }

    public string? AccountUrl => _accountUrl;

    public async Task<AcmeDirectory> GetDirectoryAsync(CancellationToken cancellationToken)
    {
        if (_directory is { } cached)
        {
            return cached;
        }

        using var response = await SendWithRetryAsync(_ => ValueTask.FromResult(new HttpRequestMessage(HttpMethod.Get, _directoryUrl)), cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        EnsureSuccess(response, body, _directoryUrl.ToString());
        _directory = JsonSerializer.Deserialize(body, AcmeJsonContext.Default.AcmeDirectory)
            ?? throw new AcmeProblemException($"The ACME directory at {_directoryUrl} is empty.");
        LogDirectory(_logger, _directoryUrl, _directory.RenewalInfo is not null);
        return _directory;
    }

    /// <summary>Creates the account, or finds the existing one for this key (RFC 8555 §7.3, §7.3.1).</summary>
    public async Task<string> RegisterAccountAsync(string? email, bool acceptTermsOfService, string? eabKeyId, string? eabHmacKey, CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken);
        if (directory.Meta?.ExternalAccountRequired == true && (eabKeyId is null || eabHmacKey is null))
        {
            throw new AcmeProblemException("The ACME server requires external account binding: set Acme:EabKeyId and Acme:EabHmacKey.");
        }

        var request = new AcmeNewAccountRequest
        {
            TermsOfServiceAgreed = acceptTermsOfService,
            Contact = string.IsNullOrWhiteSpace(email) ? null : ["mailto:" + email],
            ExternalAccountBinding = eabKeyId is not null && eabHmacKey is not null
                ? _key.ExternalAccountBinding(eabKeyId, eabHmacKey, directory.NewAccount)
                : null,
        };
        var response = await PostAsync(directory.NewAccount, Serialize(request, AcmeJsonContext.Default.AcmeNewAccountRequest), useJwk: true, cancellationToken);
        _accountUrl = response.Location ?? throw new AcmeProblemException("The ACME server returned no account URL (Location).");
        LogAccount(_logger, _accountUrl, response.Status == HttpStatusCode.Created);
        return _accountUrl;
    }

    public async Task<(AcmeOrder Order, string Url)> NewOrderAsync(IReadOnlyList<string> hosts, CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken);
        var request = new AcmeNewOrderRequest([.. hosts.Select(h => new AcmeIdentifier("dns", h))]);
        var response = await PostAsync(directory.NewOrder, Serialize(request, AcmeJsonContext.Default.AcmeNewOrderRequest), useJwk: false, cancellationToken);
        var order = Deserialize(response, AcmeJsonContext.Default.AcmeOrder);
        var url = response.Location ?? throw new AcmeProblemException("The ACME server returned no order URL (Location).");
        return (order, url);
    }

    public async Task<(AcmeOrder Order, TimeSpan? RetryAfter)> GetOrderAsync(string url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, payload: null, useJwk: false, cancellationToken);
        return (Deserialize(response, AcmeJsonContext.Default.AcmeOrder), response.RetryAfter);
    }

    public async Task<(AcmeAuthorization Authorization, TimeSpan? RetryAfter)> GetAuthorizationAsync(string url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, payload: null, useJwk: false, cancellationToken);
        return (Deserialize(response, AcmeJsonContext.Default.AcmeAuthorization), response.RetryAfter);
    }

    /// <summary>Tells the server the challenge response is in place (RFC 8555 §7.5.1): a POST of <c>{}</c>.</summary>
    public async Task<AcmeChallenge> AnswerChallengeAsync(string url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, "{}"u8.ToArray(), useJwk: false, cancellationToken);
        return Deserialize(response, AcmeJsonContext.Default.AcmeChallenge);
    }

    public async Task<(AcmeOrder Order, TimeSpan? RetryAfter)> FinalizeAsync(string finalizeUrl, byte[] csrDer, CancellationToken cancellationToken)
    {
        var request = new AcmeFinalizeRequest(Base64Url.EncodeToString(csrDer));
        var response = await PostAsync(finalizeUrl, Serialize(request, AcmeJsonContext.Default.AcmeFinalizeRequest), useJwk: false, cancellationToken);
        return (Deserialize(response, AcmeJsonContext.Default.AcmeOrder), response.RetryAfter);
    }

    /// <summary>The issued chain, leaf first, as PEM (RFC 8555 §7.4.2).</summary>
    public async Task<string> DownloadCertificateAsync(string url, CancellationToken cancellationToken)
    {
        var response = await PostAsync(url, payload: null, useJwk: false, cancellationToken, accept: "application/pem-certificate-chain");
        return Encoding.ASCII.GetString(response.Body);
    }

    /// <summary>The ARI suggested window for a certificate, or null when the server offers no <c>renewalInfo</c>.</summary>
    public async Task<(AcmeRenewalInfo Info, TimeSpan? RetryAfter)?> GetRenewalInfoAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken);
        if (directory.RenewalInfo is null || AcmeRenewalInfoId.TryCreate(certificate) is not { } certId)
        {
            return null;
        }

        var url = directory.RenewalInfo.TrimEnd('/') + "/" + certId;
        using var response = await SendWithRetryAsync(_ => ValueTask.FromResult(new HttpRequestMessage(HttpMethod.Get, url)), cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        EnsureSuccess(response, body, url);
        var info = JsonSerializer.Deserialize(body, AcmeJsonContext.Default.AcmeRenewalInfo)
            ?? throw new AcmeProblemException($"Empty renewalInfo from {url}.");
        return (info, RetryAfterOf(response));
    }

    /// <summary>A JWS-signed POST; <paramref name="payload"/> null is POST-as-GET (RFC 8555 §6.3).</summary>
    internal async Task<AcmeResponse> PostAsync(string url, byte[]? payload, bool useJwk, CancellationToken cancellationToken, string? accept = null)
    {
        if (!useJwk && _accountUrl is null)
        {
            throw new InvalidOperationException("Register the ACME account before signing requests with its key id.");
        }

        for (var attempt = 0; ; attempt++)
        {
            var directory = await GetDirectoryAsync(cancellationToken);
            using var response = await SendWithRetryAsync(
                async ct =>
                {
                    // Built inside the retry so each transient retry is signed over a fresh nonce.
                    var nonce = await TakeNonceAsync(directory, ct);
                    var header = new JwsProtectedHeader
                    {
                        Alg = "ES256",
                        Jwk = useJwk ? _key.Jwk : null,
                        Kid = useJwk ? null : _accountUrl,
                        Nonce = nonce,
                        Url = url,
                    };
                    var jws = _key.Sign(header, payload ?? []);
                    var request = new HttpRequestMessage(HttpMethod.Post, url)
                    {
                        Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(jws, AcmeJsonContext.Default.JwsMessage)),
                    };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
                    if (accept is not null)
                    {
                        request.Headers.Accept.ParseAdd(accept);
                    }

                    return request;
                },
                cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var problem = TryReadProblem(response, body);
            if (problem is { Type: AcmeProblemTypes.BadNonce } && attempt < MaxBadNonceRetries)
            {
                // The error response carries a fresh Replay-Nonce, already kept by SendWithRetryAsync.
                BadNonceRetries++;
                LogBadNonce(_logger, url, attempt + 1);
                continue;
            }

            if (problem is not null)
            {
                LogProblem(_logger, url, (int)response.StatusCode, problem.Type, problem.Detail);
                throw new AcmeProblemException(problem, (int)response.StatusCode, url);
            }

            EnsureSuccess(response, body, url);
            return new AcmeResponse(response.StatusCode, response.Headers.Location?.ToString(), RetryAfterOf(response), response.Content.Headers.ContentType?.MediaType, body);
        }
    }

    private async Task<string> TakeNonceAsync(AcmeDirectory directory, CancellationToken cancellationToken)
    {
        lock (_nonceLock)
        {
            if (_nonce is { } nonce)
            {
                _nonce = null;
                return nonce;
            }
        }

        using var response = await SendWithRetryAsync(_ => ValueTask.FromResult(new HttpRequestMessage(HttpMethod.Head, directory.NewNonce)), cancellationToken, keepNonce: false);
        return response.Headers.TryGetValues("Replay-Nonce", out var values) && values.FirstOrDefault() is { Length: > 0 } fresh
            ? fresh
            : throw new AcmeProblemException($"{directory.NewNonce} returned no Replay-Nonce.");
    }

    private async Task<HttpResponseMessage> SendWithRetryAsync(Func<CancellationToken, ValueTask<HttpRequestMessage>> createRequest, CancellationToken cancellationToken, bool keepNonce = true)
    {
        var response = await _transient.ExecuteAsync(
            async ct =>
            {
                using var request = await createRequest(ct);
                return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            },
            cancellationToken);
        if (keepNonce && response.Headers.TryGetValues("Replay-Nonce", out var values) && values.FirstOrDefault() is { Length: > 0 } nonce)
        {
            lock (_nonceLock)
            {
                _nonce = nonce;
            }
        }

        return response;
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildTransientPipeline(AcmeClientTuning tuning, TimeProvider time, ILogger logger)
    {
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.TooManyRequests),
                MaxRetryAttempts = tuning.TransientRetries,
                Delay = tuning.TransientRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfterOf(r) : null),
                OnRetry = args =>
                {
                    LogTransient(logger, args.AttemptNumber + 1, args.Outcome.Exception?.Message ?? ((int?)args.Outcome.Result?.StatusCode)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(tuning.RequestTimeout)
            .Build();
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        if (retryAfter.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter.Date is { } date ? (date - DateTimeOffset.UtcNow) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero : null;
    }

    private static AcmeProblem? TryReadProblem(HttpResponseMessage response, byte[] body)
    {
        if (response.Content.Headers.ContentType?.MediaType != ProblemJson)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, AcmeJsonContext.Default.AcmeProblem);
        }
        catch (JsonException)
        {
            return new AcmeProblem { Type = "malformedProblemDocument", Detail = Encoding.UTF8.GetString(body), Status = (int)response.StatusCode };
        }
    }

    private void EnsureSuccess(HttpResponseMessage response, byte[] body, string url)
    {
        if (TryReadProblem(response, body) is { } problem)
        {
            LogProblem(_logger, url, (int)response.StatusCode, problem.Type, problem.Detail);
            throw new AcmeProblemException(problem, (int)response.StatusCode, url);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new AcmeProblemException(new AcmeProblem { Detail = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}" }, (int)response.StatusCode, url);
        }
    }

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private static T Deserialize<T>(AcmeResponse response, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(response.Body, type) ?? throw new AcmeProblemException($"Empty {typeof(T).Name} in an ACME response.");
}

/// <summary>Timing knobs of the ACME client; defaults suit a public CA, tests shorten them.</summary>
internal sealed record AcmeClientTuning
{
    public int TransientRetries { get; init; } = 4;

    public TimeSpan TransientRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Poll interval when the server sends no <c>Retry-After</c>.</summary>
    public TimeSpan DefaultPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest single wait between polls, whatever <c>Retry-After</c> says.</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Budget for one order, from newOrder to the downloaded chain.</summary>
    public TimeSpan OrderTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
