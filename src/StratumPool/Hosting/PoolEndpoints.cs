using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StratumPool.Hosting;

/// <summary>The pool's listeners; after start-up their endpoints hold the bound ports (useful with port 0).</summary>
public sealed class PoolEndpoints
{
    internal ListenOptions? StratumListener { get; set; }

    internal ListenOptions? ApiListener { get; set; }

    /// <summary>The Stratum port as bound.</summary>
    public IPEndPoint? Stratum => StratumListener?.IPEndPoint;

    /// <summary>The HTTP API as bound; null when the API is off.</summary>
    public IPEndPoint? Api => ApiListener?.IPEndPoint;
}
