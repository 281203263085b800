using Microsoft.AspNetCore.Connections;

namespace StratumProxy.Filtering;

/// <summary>Refuses connections from banned addresses at accept time.</summary>
public sealed partial class BanFilterMiddleware(string listener, BanPolicy bans, FilterMetrics metrics, ILogger<BanFilterMiddleware> logger)
{
    private readonly ILogger _logger = logger;

    public static Func<ConnectionDelegate, ConnectionDelegate> Create(
        string listener, BanPolicy bans, FilterMetrics metrics, ILogger<BanFilterMiddleware> logger)
    {
        var middleware = new BanFilterMiddleware(listener, bans, metrics, logger);
        return next => context => middleware.OnConnectionAsync(context, next);
    }

    public Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var address = ClientAddress.From(context.RemoteEndPoint);
        if (address is null || !bans.IsBanned(address, out var expiresAt))
        {
            return next(context);
        }

        metrics.Rejected(listener, RejectionReasons.Banned);
        LogRefused(address, listener, expiresAt);
        context.Abort(new ConnectionAbortedException("The client address is banned."));
        return Task.CompletedTask;
    }
}
