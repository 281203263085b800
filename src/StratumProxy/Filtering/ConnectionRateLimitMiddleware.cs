using Microsoft.AspNetCore.Connections;
using StratumProxy.Configuration;

namespace StratumProxy.Filtering;

/// <summary>
/// Refuses an address's connections beyond <see cref="ListenerOptions.NewConnectionsPerIpPerMinute"/> (else
/// <see cref="LimitsOptions.NewConnectionsPerIpPerMinute"/>; 0 means unlimited) new ones a minute.
/// </summary>
public sealed partial class ConnectionRateLimitMiddleware(
    string listener, Func<ProxyOptions> options, ConnectionRateLimiter limiter, FilterMetrics metrics, ILogger<ConnectionRateLimitMiddleware> logger)
{
    private readonly ILogger _logger = logger;

    public static Func<ConnectionDelegate, ConnectionDelegate> Create(
        string listener, Func<ProxyOptions> options, ConnectionRateLimiter limiter, FilterMetrics metrics, ILogger<ConnectionRateLimitMiddleware> logger)
    {
        var middleware = new ConnectionRateLimitMiddleware(listener, options, limiter, metrics, logger);
        return next => context => middleware.OnConnectionAsync(context, next);
    }

    public Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var address = ClientAddress.From(context.RemoteEndPoint);
        if (address is null)
        {
            return next(context);
        }

        var current = options();
        var perMinute = current.Listeners.GetValueOrDefault(listener)?.NewConnectionsPerIpPerMinute
            ?? current.Limits.NewConnectionsPerIpPerMinute;
        if (limiter.TryAcquire(address, perMinute))
        {
            return next(context);
        }

        metrics.Rejected(listener, RejectionReasons.RateLimit);
        LogRefused(address, listener, perMinute);
        context.Abort(new ConnectionAbortedException("Too many new connections from this address."));
        return Task.CompletedTask;
    }
}
