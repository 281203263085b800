using System.Net;
using System.Security.Cryptography;
using System.Text;
using StratumProxy.Configuration;

namespace StratumProxy.Management;

/// <summary>
/// Who may change things through the management API: anyone on a loopback-bound endpoint without a token;
/// otherwise only requests bearing the configured token, compared in constant time.
/// </summary>
public sealed class ManagementAccess
{
    private readonly ProxyConfigState _config;

    public ManagementAccess(ProxyConfigState config)
    {
        _config = config;
    }

    public bool MayChange(HttpContext context) => IsAuthorized(context, requiredOnLoopback: false);

    public bool MayReadMetrics(HttpContext context) =>
        !_config.Current.Management.ProtectMetrics || IsAuthorized(context, requiredOnLoopback: true);

    private bool IsAuthorized(HttpContext context, bool requiredOnLoopback)
    {
        var management = _config.Current.Management;
        if (string.IsNullOrEmpty(management.Token))
        {
            if (requiredOnLoopback)
            {
                return true;
            }

            return EndpointParser.TryParse(management.Endpoint, out var endPoint) && EndpointParser.IsLoopback(endPoint)
                && context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        var expected = Encoding.UTF8.GetBytes(management.Token);
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}
