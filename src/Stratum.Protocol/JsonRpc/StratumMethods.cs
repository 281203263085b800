namespace Stratum.Protocol.JsonRpc;

/// <summary>Stratum v1 method names as UTF-8 bytes, for dispatch without strings.</summary>
public static class StratumMethods
{
    /// <summary>BIP310 negotiation of extensions such as version rolling; sent first by modern ASIC firmware.</summary>
    public static ReadOnlySpan<byte> Configure => "mining.configure"u8;

    /// <summary>Session start: <c>[user_agent, previous_session_id?]</c>.</summary>
    public static ReadOnlySpan<byte> Subscribe => "mining.subscribe"u8;

    /// <summary>Worker login: <c>[worker, password]</c>.</summary>
    public static ReadOnlySpan<byte> Authorize => "mining.authorize"u8;

    /// <summary>NiceHash extension: the miner accepts <c>mining.set_extranonce</c>.</summary>
    public static ReadOnlySpan<byte> ExtranonceSubscribe => "mining.extranonce.subscribe"u8;

    /// <summary>Pool to miner: new extranonce1 and extranonce2 size, applied from the next job.</summary>
    public static ReadOnlySpan<byte> SetExtranonce => "mining.set_extranonce"u8;

    /// <summary>Miner asks for a starting difficulty (floats as small as 0.0001, sometimes as a string).</summary>
    public static ReadOnlySpan<byte> SuggestDifficulty => "mining.suggest_difficulty"u8;

    /// <summary>Pool to miner: share difficulty, applied by miners from the next <c>mining.notify</c>.</summary>
    public static ReadOnlySpan<byte> SetDifficulty => "mining.set_difficulty"u8;

    /// <summary>Pool to miner (BIP310): a new version-rolling mask.</summary>
    public static ReadOnlySpan<byte> SetVersionMask => "mining.set_version_mask"u8;

    /// <summary>Pool to miner: a job <c>[job_id, prevhash, coinb1, coinb2, branches, version, nbits, ntime, clean]</c>.</summary>
    public static ReadOnlySpan<byte> Notify => "mining.notify"u8;

    /// <summary>Miner to pool: a share <c>[worker, job_id, extranonce2, ntime, nonce, version_bits?]</c>.</summary>
    public static ReadOnlySpan<byte> Submit => "mining.submit"u8;

    /// <summary>Pool to miner: reconnect to <c>[host, port, wait]</c>.</summary>
    public static ReadOnlySpan<byte> ClientReconnect => "client.reconnect"u8;
}

/// <summary>Stratum v1 error codes as miners expect them in <c>[code, message, null]</c>.</summary>
public static class StratumErrorCodes
{
    /// <summary>Any other error.</summary>
    public const int Other = 20;

    /// <summary>The job is unknown or stale.</summary>
    public const int JobNotFound = 21;

    /// <summary>The same share was already submitted.</summary>
    public const int DuplicateShare = 22;

    /// <summary>The share does not meet the session's difficulty.</summary>
    public const int LowDifficultyShare = 23;

    /// <summary>The worker is not authorized.</summary>
    public const int UnauthorizedWorker = 24;

    /// <summary>The session has not subscribed.</summary>
    public const int NotSubscribed = 25;
}
