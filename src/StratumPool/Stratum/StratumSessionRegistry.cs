using System.Collections.Concurrent;

namespace StratumPool.Stratum;

/// <summary>The open Stratum sessions, for broadcasts, housekeeping and statistics.</summary>
public sealed class StratumSessionRegistry
{
    private readonly ConcurrentDictionary<string, StratumSession> _sessions = new(StringComparer.Ordinal);

    public void Add(StratumSession session) => _sessions[session.ConnectionId] = session;

    public void Remove(StratumSession session) => _sessions.TryRemove(session.ConnectionId, out _);

    public int Count => _sessions.Count;

    public IEnumerable<StratumSession> Sessions => _sessions.Values;

    /// <summary>Authorized workers over all sessions.</summary>
    public int CountWorkers()
    {
        var count = 0;
        foreach (var session in _sessions.Values)
        {
            count += session.WorkerCount;
        }

        return count;
    }

    /// <summary>Distinct miner addresses (accounts) with at least one authorized worker.</summary>
    public int CountMiners()
    {
        var miners = new HashSet<string>(StringComparer.Ordinal);
        foreach (var session in _sessions.Values)
        {
            if (session.MinerAddress is { } address)
            {
                miners.Add(address);
            }
        }

        return miners.Count;
    }
}
