namespace StratumProxy.Configuration;

/// <summary>
/// The configuration in force. Readers take <see cref="Current"/> without locking; a reload swaps the whole
/// validated snapshot at once and then tells subscribers, so no reader ever sees half of an edit.
/// </summary>
public sealed class ProxyConfigState
{
    private ProxyOptions _current;

    public ProxyConfigState(ProxyOptions initial)
    {
        _current = initial;
    }

    /// <summary>Raised after a new configuration was applied, with the previous one.</summary>
    public event Action<ProxyOptions, ProxyOptions>? Changed;

    public ProxyOptions Current => Volatile.Read(ref _current);

    public void Apply(ProxyOptions next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        Changed?.Invoke(previous, next);
    }
}
