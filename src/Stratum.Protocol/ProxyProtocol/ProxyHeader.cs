using System.Net;

namespace Stratum.Protocol.ProxyProtocol;

/// <summary>What a PROXY protocol header said about the connection it precedes.</summary>
/// <param name="Version">1 (text) or 2 (binary).</param>
/// <param name="Source">The original client, or null for <c>LOCAL</c>/<c>UNKNOWN</c> headers (health checks of the balancer itself).</param>
/// <param name="Destination">The address the client connected to, or null when not carried.</param>
public readonly record struct ProxyHeader(int Version, IPEndPoint? Source, IPEndPoint? Destination)
{
    /// <summary>True when the header carries no addresses and the connection's own addresses stand.</summary>
    public bool IsLocal => Source is null;
}

/// <summary>Outcome of <see cref="ProxyProtocolReader.TryRead"/>.</summary>
public enum ProxyHeaderStatus
{
    /// <summary>A complete, valid header was read and consumed.</summary>
    Complete,

    /// <summary>The bytes so far are a valid prefix of a header: read more.</summary>
    NeedMoreData,

    /// <summary>The input is not a PROXY header, or a malformed one.</summary>
    Invalid,
}
