using Microsoft.AspNetCore.Connections;
using StratumProxy.Configuration;

namespace StratumProxy.Filtering;

/// <summary>
/// Holds a slot of <see cref="LimitsOptions.MaxConnections"/> (over all listeners) and of the per-address limit
/// (<see cref="ListenerOptions.MaxConnectionsPerIp"/>, else <see cref="LimitsOptions.MaxConnectionsPerIp"/>; 0 means
/// unlimited) for the whole life of the connection; refuses the connection when either is full. The total is also
/// capped by the <see cref="DescriptorBudget"/>, so the process never runs out of file descriptors. An address's
/// connections are counted over all listeners and compared with the limit of the listener being connected to.
/// </summary>
public sealed partial class ConnectionLimitMiddleware(
    string listener, Func<ProxyOptions> options, IConnectionCounter counter, FilterMetrics metrics, ILogger<ConnectionLimitMiddleware> logger, DescriptorBudget? descriptors = null)
{
    private readonly ILogger _logger = logger;
    private readonly DescriptorBudget _descriptors = descriptors ?? new DescriptorBudget(int.MaxValue);

    public static Func<ConnectionDelegate, ConnectionDelegate> Create(
        string listener, Func<ProxyOptions> options, IConnectionCounter counter, FilterMetrics metrics, ILogger<ConnectionLimitMiddleware> logger, DescriptorBudget? descriptors = null)
    {
        var middleware = new ConnectionLimitMiddleware(listener, options, counter, metrics, logger, descriptors);
        return next => context => middleware.OnConnectionAsync(context, next);
    }

    public async Task OnConnectionAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var address = ClientAddress.From(context.RemoteEndPoint);
        if (address is null)
        {
            await next(context);
            return;
        }

        var current = options();
        var perAddress = current.Listeners.GetValueOrDefault(listener)?.MaxConnectionsPerIp ?? current.Limits.MaxConnectionsPerIp;
        var admission = counter.TryAcquire(address, perAddress, _descriptors.Cap(current.Limits.MaxConnections));
        if (admission != ConnectionAdmission.Admitted)
        {
            var reason = admission == ConnectionAdmission.IpLimit ? RejectionReasons.IpLimit : RejectionReasons.MaxConnections;
            metrics.Rejected(listener, reason);
            LogRefused(address, listener, reason);
            context.Abort(new ConnectionAbortedException("Connection limit reached."));
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            counter.Release(address);
        }
    }
}
