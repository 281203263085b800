using System.Collections.Concurrent;
using Stratum.Protocol.JsonRpc;
using StratumPool.Jobs;

namespace StratumPool.Tests.Support;

/// <summary>
/// Stands in for the chain side in protocol tests of the Stratum server alone: fixed jobs, and share verdicts
/// chosen by the submitted nonce (<c>00000000</c> low difficulty, <c>dddddddd</c> duplicate, anything else accepted).
/// It records every submission it receives, so tests can check what the server passed on.
/// </summary>
public sealed class ScriptedJobManager : IJobManager
{
    private MiningJob? _current;

    public ScriptedJobManager() => _current = new ScriptedJob("1", 101);

    public event Action<JobBroadcast>? JobBroadcast;

    public MiningJob? CurrentJob => _current;

    public NetworkStatus Network => new(100, 0.1, new string('0', 64), DateTimeOffset.UtcNow, true);

    public ConcurrentQueue<ShareSubmission> Submissions { get; } = new();

    /// <summary>Delay of the first share's verdict, to prove later replies wait for earlier ones.</summary>
    public TimeSpan FirstShareDelay { get; set; }

    public NotifyParameters GetNotifyParameters(MiningJob job, PayoutTarget? payout) => new(
        job.Id,
        new string('a', 64),
        "01000000" + (payout is null ? "00" : "11"),
        "ffffffff",
        [],
        "20000000",
        "207fffff",
        "5f5e1000");

    public async ValueTask<ShareResult> ProcessShareAsync(ShareSubmission submission, CancellationToken cancellationToken)
    {
        var first = Submissions.IsEmpty;
        Submissions.Enqueue(submission);
        if (first && FirstShareDelay > TimeSpan.Zero)
        {
            await Task.Delay(FirstShareDelay, cancellationToken);
        }

        if (submission.JobId != _current?.Id)
        {
            return ShareResult.Reject(StratumErrorCodes.JobNotFound, "job not found");
        }

        return submission.Nonce switch
        {
            "00000000" => ShareResult.Reject(StratumErrorCodes.LowDifficultyShare, "low difficulty share"),
            "dddddddd" => ShareResult.Reject(StratumErrorCodes.DuplicateShare, "duplicate share"),
            _ => new ShareResult(true, 0, null, submission.Difficulty * 2, submission.Difficulty, _current!.Height, null),
        };
    }

    public void Publish(string id, bool clean)
    {
        _current = new ScriptedJob(id, 101);
        JobBroadcast?.Invoke(new JobBroadcast(_current, clean));
    }

    private sealed class ScriptedJob(string id, long height) : MiningJob
    {
        public override string Id => id;

        public override long Height => height;

        public override DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public override double NetworkDifficulty => 0.1;
    }
}
