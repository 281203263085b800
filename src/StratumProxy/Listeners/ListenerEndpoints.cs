using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace StratumProxy.Listeners;

/// <summary>The Kestrel endpoints the host bound, by listener name (tests use it to find ephemeral ports).</summary>
public sealed class ListenerEndpoints
{
    private readonly ConcurrentDictionary<string, ListenOptions> _listeners = new(StringComparer.OrdinalIgnoreCase);

    internal void Add(string name, ListenOptions options) => _listeners[name] = options;

    /// <summary>The address a listener is bound to, with the real port once the server has started.</summary>
    public IPEndPoint? GetBoundEndPoint(string name) => _listeners.TryGetValue(name, out var options) ? options.IPEndPoint : null;

    public IEnumerable<string> Names => _listeners.Keys;

    internal ListenOptions? Management { get; set; }

    /// <summary>The management endpoint's address, with the real port once the server has started.</summary>
    public IPEndPoint? ManagementEndPoint => Management?.IPEndPoint;
}
