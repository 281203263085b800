namespace StratumProxy.Stratum;

/// <summary>
/// Requests waiting for the pool's answer, oldest first. Real miners send every <c>mining.submit</c> with the same
/// id, so an answer is matched to the oldest pending request with that id, never by id alone. Bounded: when full
/// the oldest entry is dropped and counted as unanswered.
/// </summary>
public sealed class PendingRequests
{
    private readonly int _capacity;
    private (long Id, StratumMethod Method)[] _items = [];
    private int _head;
    private int _count;

    public PendingRequests(int capacity = 64)
    {
        _capacity = capacity;
    }

    public int Count => _count;

    /// <summary>Adds a request; returns the method of an entry pushed out to make room, or <see cref="StratumMethod.None"/>.</summary>
    public StratumMethod Add(long id, StratumMethod method)
    {
        var dropped = StratumMethod.None;
        if (_count == _items.Length && _items.Length < _capacity)
        {
            // Idle miners hold no queue; it grows with the requests in flight, up to the capacity.
            var grown = new (long, StratumMethod)[Math.Min(_capacity, Math.Max(4, _items.Length * 2))];
            for (var i = 0; i < _count; i++)
            {
                grown[i] = _items[(_head + i) % _items.Length];
            }

            _items = grown;
            _head = 0;
        }

        if (_count == _items.Length)
        {
            dropped = _items[_head].Method;
            _head = (_head + 1) % _items.Length;
            _count--;
        }

        _items[(_head + _count) % _items.Length] = (id, method);
        _count++;
        return dropped;
    }

    /// <summary>Removes the oldest request with <paramref name="id"/> and returns its method, or <see cref="StratumMethod.None"/>.</summary>
    public StratumMethod Match(long id)
    {
        for (var i = 0; i < _count; i++)
        {
            var slot = (_head + i) % _items.Length;
            if (_items[slot].Id != id)
            {
                continue;
            }

            var method = _items[slot].Method;
            // Close the gap by shifting the entries before it one place towards the tail.
            for (var j = i; j > 0; j--)
            {
                _items[(_head + j) % _items.Length] = _items[(_head + j - 1) % _items.Length];
            }

            _head = (_head + 1) % _items.Length;
            _count--;
            return method;
        }

        return StratumMethod.None;
    }

    /// <summary>Counts the pending requests of <paramref name="method"/> (for unanswered shares at session end).</summary>
    public int CountOf(StratumMethod method)
    {
        var n = 0;
        for (var i = 0; i < _count; i++)
        {
            if (_items[(_head + i) % _items.Length].Method == method)
            {
                n++;
            }
        }

        return n;
    }
}
