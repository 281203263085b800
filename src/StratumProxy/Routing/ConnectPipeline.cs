using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace StratumProxy.Routing;

/// <summary>
/// The Polly pipeline around a destination connect once its first attempt has failed: an overall timeout of what is
/// left of the cluster's <c>ConnectTimeout</c>, a retry that moves on to the next eligible destination after a failed
/// attempt, and a per-attempt timeout that gives each attempt an equal share of what is left of the budget, so one
/// silent node cannot use it all. The first attempt follows the same rules outside it (<see cref="DestinationConnector"/>).
/// </summary>
internal static class ConnectPipeline
{
    /// <summary>Polly's timeout strategy refuses anything shorter.</summary>
    public static readonly TimeSpan MinimumTimeout = TimeSpan.FromMilliseconds(10);

    public static readonly ResiliencePropertyKey<ConnectAttempt> AttemptKey = new("StratumProxy.ConnectAttempt");

    public static ResiliencePipeline Create(TimeSpan connectTimeout, TimeProvider timeProvider)
    {
        var overall = connectTimeout < MinimumTimeout ? MinimumTimeout : connectTimeout;
        return new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddTimeout(Timeout("ConnectTimeout", static attempt => attempt.RemainingBudget(), overall))
            .AddRetry(new RetryStrategyOptions
            {
                Name = "NextDestination",
                ShouldHandle = new PredicateBuilder().Handle<DestinationConnectException>().Handle<TimeoutRejectedException>(),
                // Each attempt excludes the destinations already tried and fails with NoDestinationException when
                // none is left, which ends the retries; the count itself never binds.
                MaxRetryAttempts = int.MaxValue,
                Delay = TimeSpan.Zero,
                BackoffType = DelayBackoffType.Constant,
                UseJitter = false,
            })
            .AddTimeout(Timeout("AttemptTimeout", static attempt => attempt.NextAttemptTimeout(), overall))
            .Build();
    }

    /// <summary>A timeout read from the connect's <see cref="ConnectAttempt"/> when it runs (<paramref name="fallback"/> without one).</summary>
    private static TimeoutStrategyOptions Timeout(string name, Func<ConnectAttempt, TimeSpan> timeout, TimeSpan fallback) => new()
    {
        Name = name,
        TimeoutGenerator = args => ValueTask.FromResult(
            args.Context.Properties.TryGetValue(AttemptKey, out var attempt) ? AtLeastMinimum(timeout(attempt)) : fallback),
    };

    public static TimeSpan AtLeastMinimum(TimeSpan timeout) => timeout > MinimumTimeout ? timeout : MinimumTimeout;
}
