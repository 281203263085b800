using Microsoft.AspNetCore.Connections;
using StratumProxy.Configuration;

namespace StratumProxy.Filtering;

/// <summary>
/// Refuses connections whose country the listener's <c>Geo</c> filter does not allow, at accept time (before TLS).
/// Reads the listener's options on each connection, so a reloaded filter applies to the next one.
/// </summary>
public sealed partial class GeoFilterMiddleware(
    string listener, Func<ProxyOptions> options, ICountryLookup lookup, FilterMetrics metrics, ILogger<GeoFilterMiddleware> logger)
{
    private readonly ILogger _logger = logger;
    private GeoFilter? _filter;

    public static Func<ConnectionDelegate, ConnectionDelegate> Create(
        string listener, Func<ProxyOptions> options, ICountryLookup lookup, FilterMetrics metrics, ILogger<GeoFilterMiddleware> logger)
    {
        var middleware = new GeoFilterMiddleware(listener, options, lookup, metrics, logger);
        return next => context => middleware.OnConnectionAsync(context, next);
    }

    public Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var filter = CurrentFilter();
        var address = ClientAddress.From(context.RemoteEndPoint);
        if (filter is null || address is null)
        {
            return next(context);
        }

        var verdict = filter.Evaluate(address);
        if (verdict.Allowed)
        {
            return next(context);
        }

        metrics.Rejected(listener, RejectionReasons.Geo);
        LogRefused(address, listener, verdict.Country ?? "unknown");
        context.Abort(new ConnectionAbortedException("The client's country is not allowed on this listener."));
        return Task.CompletedTask;
    }

    private GeoFilter? CurrentFilter()
    {
        var geo = options().Listeners.GetValueOrDefault(listener)?.Geo;
        if (geo is null)
        {
            return null;
        }

        var filter = Volatile.Read(ref _filter);
        if (filter is null || !ReferenceEquals(filter.Options, geo))
        {
            filter = new GeoFilter(geo, lookup);
            Volatile.Write(ref _filter, filter);
        }

        return filter;
    }
}
