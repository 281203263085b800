using System.Net;

namespace StratumProxy.Filtering;

/// <summary>
/// <see cref="IConnectionCounter"/> for one proxy process. An address's entry exists only while it has connections
/// open, so memory follows the open connections.
/// </summary>
public sealed class InMemoryConnectionCounter : IConnectionCounter
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public int CountFor(IPAddress address)
    {
        address = ClientAddress.Normalize(address);
        lock (_lock)
        {
            return _perAddress.GetValueOrDefault(address);
        }
    }

    public ConnectionAdmission TryAcquire(IPAddress address, int maxPerAddress, int maxTotal)
    {
        address = ClientAddress.Normalize(address);
        lock (_lock)
        {
            if (maxTotal > 0 && _total >= maxTotal)
            {
                return ConnectionAdmission.MaxConnections;
            }

            var count = _perAddress.GetValueOrDefault(address);
            if (maxPerAddress > 0 && count >= maxPerAddress)
            {
                return ConnectionAdmission.IpLimit;
            }

            _perAddress[address] = count + 1;
            _total++;
            return ConnectionAdmission.Admitted;
        }
    }

    public void Release(IPAddress address)
    {
        address = ClientAddress.Normalize(address);
        lock (_lock)
        {
            if (!_perAddress.TryGetValue(address, out var count))
            {
                throw new InvalidOperationException($"Release of {address} without a matching acquire.");
            }

            if (count <= 1)
            {
                _perAddress.Remove(address);
            }
            else
            {
                _perAddress[address] = count - 1;
            }

            _total--;
        }
    }
}
