namespace StratumProxy.FunctionalTests.Infrastructure;

/// <summary>Waits for a condition by polling, bounded by a deadline (never a bare sleep).</summary>
public static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
