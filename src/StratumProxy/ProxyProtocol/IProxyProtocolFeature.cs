using System.Net;

namespace StratumProxy.ProxyProtocol;

/// <summary>Published on a connection whose real client address came from a PROXY header.</summary>
public interface IProxyProtocolFeature
{
    /// <summary>The L4 balancer that sent the header.</summary>
    IPEndPoint ProxyEndPoint { get; }

    /// <summary>The address the client connected to on the balancer, when carried.</summary>
    IPEndPoint? OriginalDestination { get; }
}

internal sealed record ProxyProtocolFeature(IPEndPoint ProxyEndPoint, IPEndPoint? OriginalDestination) : IProxyProtocolFeature;
