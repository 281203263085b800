using System.Net;

namespace StratumPool.Jobs;

/// <summary>
/// The chain side of the pool: turns block templates into Stratum jobs, validates shares against them
/// and submits block candidates. The Stratum server side only talks to the chain through this.
/// </summary>
public interface IJobManager
{
    /// <summary>Raised for each new job to broadcast; <see cref="JobBroadcast.CleanJobs"/> is set on a new block.</summary>
    event Action<JobBroadcast>? JobBroadcast;

    /// <summary>The newest job, or null before the first template arrived.</summary>
    MiningJob? CurrentJob { get; }

    /// <summary>Network state for the API and metrics.</summary>
    NetworkStatus Network { get; }

    /// <summary>
    /// The <c>mining.notify</c> params for <paramref name="job"/> as seen by a session that pays
    /// <paramref name="payout"/> (null: the pool's own address). In <c>Solo</c> mode each payout gets its own coinbase.
    /// </summary>
    NotifyParameters GetNotifyParameters(MiningJob job, PayoutTarget? payout);

    /// <summary>Validates one share; if it meets the network target the block is assembled and submitted.</summary>
    ValueTask<ShareResult> ProcessShareAsync(ShareSubmission submission, CancellationToken cancellationToken);
}

/// <summary>A job ready to be sent; <paramref name="CleanJobs"/> tells miners to drop older work.</summary>
public sealed record JobBroadcast(MiningJob Job, bool CleanJobs);

/// <summary>What is known of the network, from the daemon.</summary>
public sealed record NetworkStatus(long Height, double Difficulty, string? BestBlockHash, DateTimeOffset? LastTemplateAt, bool Connected);

/// <summary>An address the coinbase pays, already validated for the network.</summary>
public sealed record PayoutTarget(string Address, byte[] ScriptPubKey);

/// <summary>The fields of <c>mining.notify</c>, already hex-encoded as miners expect them.</summary>
public sealed record NotifyParameters(
    string JobId,
    string PrevHash,
    string Coinb1,
    string Coinb2,
    IReadOnlyList<string> MerkleBranch,
    string Version,
    string NBits,
    string NTime);

/// <summary>One job; immutable once created. Implementation details live in the Jobs folder.</summary>
public abstract class MiningJob
{
    public abstract string Id { get; }

    public abstract long Height { get; }

    public abstract DateTimeOffset CreatedAt { get; }

    /// <summary>Network difficulty of the template's nBits.</summary>
    public abstract double NetworkDifficulty { get; }
}

/// <summary>One <c>mining.submit</c> with the session context needed to validate it.</summary>
public sealed record ShareSubmission(
    string Worker,
    string JobId,
    string ExtraNonce2,
    string NTime,
    string Nonce,
    string? VersionBits,
    byte[] ExtraNonce1,
    int ExtraNonce2Size,
    uint VersionRollingMask,
    double Difficulty,
    double? PreviousDifficulty,
    PayoutTarget? Payout,
    IPAddress? RemoteAddress);

/// <summary>Outcome of a share. <see cref="ErrorCode"/> is one of <c>Stratum.Protocol.JsonRpc.StratumErrorCodes</c> when rejected.</summary>
public sealed record ShareResult(
    bool Accepted,
    int ErrorCode,
    string? ErrorMessage,
    double ShareDifficulty,
    double AcceptedAtDifficulty,
    long Height,
    BlockCandidateResult? Block)
{
    public static ShareResult Reject(int code, string message) => new(false, code, message, 0, 0, 0, null);
}

/// <summary>A share that met the network target: what the daemon said of the block.</summary>
public sealed record BlockCandidateResult(string BlockHash, long Height, long Reward, bool Accepted, string? RejectReason);
