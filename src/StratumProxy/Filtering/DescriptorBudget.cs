namespace StratumProxy.Filtering;

/// <summary>
/// How many miner sessions fit the process's open-files limit: each takes two descriptors (miner and pool), and
/// the runtime needs some of its own after start-up (assemblies it loads late, <c>/proc</c> reads by the GC; when
/// those fail for want of a descriptor the runtime aborts). Sessions beyond the budget are refused at the door
/// like any over <see cref="Configuration.LimitsOptions.MaxConnections"/>, so the process never runs out.
/// </summary>
public sealed class DescriptorBudget
{
    /// <summary>Descriptors kept free for the runtime, the management endpoint and health checks.</summary>
    public const int Reserve = 96;

    public DescriptorBudget(int maxSessions) => MaxSessions = maxSessions;

    /// <summary>Sessions that fit; <see cref="int.MaxValue"/> when the limit is unknown (not Linux).</summary>
    public int MaxSessions { get; }

    /// <summary>The budget of this process from its soft open-files limit and the descriptors open now.</summary>
    public static DescriptorBudget FromProcess()
    {
        try
        {
            if (!OperatingSystem.IsLinux() || ReadOpenFilesLimit() is not { } limit)
            {
                return new DescriptorBudget(int.MaxValue);
            }

            var open = Directory.GetFiles("/proc/self/fd").Length;
            return new DescriptorBudget(Math.Max(1, (int)Math.Min(int.MaxValue, (limit - open - Reserve) / 2)));
        }
        catch (IOException)
        {
            return new DescriptorBudget(int.MaxValue);
        }
        catch (UnauthorizedAccessException)
        {
            return new DescriptorBudget(int.MaxValue);
        }
    }

    /// <summary>The smaller of the configured total (0 = unlimited) and the budget.</summary>
    public int Cap(int configuredMaxConnections) =>
        configuredMaxConnections > 0 ? Math.Min(configuredMaxConnections, MaxSessions) : MaxSessions;

    private static long? ReadOpenFilesLimit()
    {
        // "Max open files            20000                20000                files"
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], out var soft) ? soft : null;
        }

        return null;
    }
}
