namespace StratumProxy.FunctionalTests.Tls;

/// <summary>Polls a condition with a deadline; the only waiting tests do.</summary>
internal static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 500));
        }
    }

    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        await UntilAsync<object>(() => Task.FromResult<object?>(condition() ? new object() : null), timeout, what);
    }
}
