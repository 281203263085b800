using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using StratumPool.Jobs;

namespace StratumPool.Stratum;

/// <summary>
/// <c>mining.notify</c> params per job and payout, computed once: in <c>Pool</c> mode every session shares one
/// coinbase, in <c>Solo</c> mode each payout address has its own. Entries go with their job.
/// </summary>
public sealed class NotifyCache(IJobManager jobs)
{
    private readonly ConditionalWeakTable<MiningJob, ConcurrentDictionary<string, NotifyParameters>> _byJob = [];

    public NotifyParameters Get(MiningJob job, PayoutTarget? payout)
    {
        var perPayout = _byJob.GetValue(job, static _ => new ConcurrentDictionary<string, NotifyParameters>(StringComparer.Ordinal));
        var key = payout?.Address ?? string.Empty;
        if (perPayout.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var parameters = jobs.GetNotifyParameters(job, payout);
        perPayout.TryAdd(key, parameters);
        return parameters;
    }
}
