using System.Collections.Concurrent;

namespace StratumProxy.Stratum;

/// <summary>Every open session, for the status API, timeouts and draining.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<long, ProxySession> _sessions = new();

    public int Count => _sessions.Count;

    public IEnumerable<ProxySession> Sessions => _sessions.Values;

    public void Add(ProxySession session) => _sessions[session.Id] = session;

    public void Remove(ProxySession session) => _sessions.TryRemove(session.Id, out _);
}
