using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace StratumProxy.Routing;

/// <summary>
/// The Polly pipeline around one destination connect: an overall timeout of the cluster's <c>ConnectTimeout</c>,
/// a retry that moves on to the next eligible destination after a failed attempt, and a per-attempt timeout that
/// gives each attempt an equal share of what is left of the budget, so one silent node cannot use it all.
/// </summary>
internal static class ConnectPipeline
{
    /// <summary>Polly's timeout strategy refuses anything shorter.</summary>
    private static readonly TimeSpan MinimumTimeout = TimeSpan.FromMilliseconds(10);

    public static readonly ResiliencePropertyKey<ConnectAttempt> AttemptKey = new("StratumProxy.ConnectAttempt");

    public static ResiliencePipeline Create(TimeSpan connectTimeout, TimeProvider timeProvider)
    {
        var overall = connectTimeout < MinimumTimeout ? MinimumTimeout : connectTimeout;
        return new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddTimeout(new TimeoutStrategyOptions { Name = "ConnectTimeout", Timeout = overall })
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
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "AttemptTimeout",
                TimeoutGenerator = args => ValueTask.FromResult(
                    args.Context.Properties.TryGetValue(AttemptKey, out var attempt)
                        ? Max(attempt.NextAttemptTimeout(), MinimumTimeout)
                        : overall),
            })
            .Build();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
