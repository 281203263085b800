using System.Net;

namespace StratumProxy.Filtering;

/// <summary>
/// Counts open connections over all listeners, in total and per client address, and admits a new one only within the
/// limits given. An implementation shared by several proxy instances can take over behind this interface.
/// </summary>
public interface IConnectionCounter
{
    /// <summary>Connections open right now.</summary>
    int Total { get; }

    /// <summary>Connections open right now from <paramref name="address"/>.</summary>
    int CountFor(IPAddress address);

    /// <summary>
    /// Takes a slot for <paramref name="address"/> unless that would exceed <paramref name="maxTotal"/> or
    /// <paramref name="maxPerAddress"/> (0 means unlimited). Every <see cref="ConnectionAdmission.Admitted"/> must be
    /// followed by one <see cref="Release"/>.
    /// </summary>
    ConnectionAdmission TryAcquire(IPAddress address, int maxPerAddress, int maxTotal);

    /// <summary>Gives back a slot taken by <see cref="TryAcquire"/>.</summary>
    void Release(IPAddress address);
}

public enum ConnectionAdmission
{
    Admitted,

    /// <summary>The proxy-wide <c>MaxConnections</c> is reached.</summary>
    MaxConnections,

    /// <summary>The address has <c>MaxConnectionsPerIp</c> connections open.</summary>
    IpLimit,
}
