using System.Collections.Concurrent;

namespace StratumProxy.Stratum;

/// <summary>Every open session, for the status API, timeouts and draining.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<long, ProxySession> _sessions = new();

    public int Count => _sessions.Count;

    /// <summary>
    /// The open sessions, read without locking or copying: the timeout sweep walks them four times a second, and
    /// <c>Values</c> would take every lock and copy the whole set each time.
    /// </summary>
    public IEnumerable<ProxySession> Sessions
    {
        get
        {
            foreach (var pair in _sessions)
            {
                yield return pair.Value;
            }
        }
    }

    public void Add(ProxySession session) => _sessions[session.Id] = session;

    public void Remove(ProxySession session) => _sessions.TryRemove(session.Id, out _);
}
