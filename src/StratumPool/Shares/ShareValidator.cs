using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Stratum.Protocol.JsonRpc;
using StratumPool.Jobs;

namespace StratumPool.Shares;

/// <summary>
/// Checks one <c>mining.submit</c> against its job: sizes, ntime window, version mask, header hash, share and block
/// targets, duplicates. Allocation-free on the accept path; a block solution is materialised only when found.
/// </summary>
public static class ShareValidator
{
    /// <summary>How far ahead of the clock a share's ntime may be (Bitcoin's 2-hour rule).</summary>
    public const long MaxFutureSeconds = 7200;

    // A hair of tolerance so a hash exactly at the target is not refused by float rounding.
    private const double DifficultyTolerance = 1 - 1e-9;

    private const int StackCoinbaseLimit = 1024;

    /// <summary>Validates <paramref name="submission"/> against <paramref name="job"/> with coinbase <paramref name="coinbase"/>.</summary>
    internal static ShareVerdict Validate(BlockJob job, CoinbaseParts coinbase, ShareSubmission submission, long nowUnixSeconds)
    {
        var en1 = submission.ExtraNonce1;
        if (en1 is null)
        {
            return ShareVerdict.Reject(StratumErrorCodes.NotSubscribed, "not subscribed");
        }

        var en2Hex = submission.ExtraNonce2.AsSpan();
        if (submission.ExtraNonce2Size <= 0 || en2Hex.Length != submission.ExtraNonce2Size * 2)
        {
            return ShareVerdict.Reject(StratumErrorCodes.Other, "incorrect size of extranonce2");
        }

        if (en1.Length + submission.ExtraNonce2Size != job.ExtraNonceSize)
        {
            return ShareVerdict.Reject(StratumErrorCodes.Other, "extranonce sizes do not match the job");
        }

        if (!TryParseUInt32Hex(submission.NTime, out var ntime))
        {
            return ShareVerdict.Reject(StratumErrorCodes.Other, "invalid ntime");
        }

        if (ntime < job.Header.MinTime || ntime > Math.Max(nowUnixSeconds, job.Header.NTime) + MaxFutureSeconds)
        {
            return ShareVerdict.Reject(StratumErrorCodes.Other, "ntime out of range");
        }

        if (!TryParseUInt32Hex(submission.Nonce, out var nonce))
        {
            return ShareVerdict.Reject(StratumErrorCodes.Other, "invalid nonce");
        }

        var version = job.Header.Version;
        if (submission.VersionBits is { } versionBitsHex)
        {
            if (!TryParseUInt32Hex(versionBitsHex, out var versionBits))
            {
                return ShareVerdict.Reject(StratumErrorCodes.Other, "invalid version bits");
            }

            var mask = submission.VersionRollingMask;
            if ((versionBits & ~mask) != 0)
            {
                return ShareVerdict.Reject(StratumErrorCodes.Other, "version bits outside the negotiated mask");
            }

            version = (version & ~mask) | (versionBits & mask);
        }

        Span<byte> extraNonce = stackalloc byte[16];
        en1.CopyTo(extraNonce);
        if (submission.ExtraNonce2Size > extraNonce.Length - en1.Length
            || Convert.FromHexString(en2Hex, extraNonce.Slice(en1.Length, submission.ExtraNonce2Size), out _, out var written) != OperationStatus.Done
            || written != submission.ExtraNonce2Size)
        {
            return ShareVerdict.Reject(StratumErrorCodes.Other, "invalid extranonce2");
        }

        extraNonce = extraNonce[..(en1.Length + written)];
        Span<byte> header = stackalloc byte[80];
        if (!job.MerkleRoots.TryGet(coinbase, extraNonce, header.Slice(36, 32)))
        {
            ComputeMerkleRoot(job, coinbase, extraNonce, header.Slice(36, 32));
            job.MerkleRoots.Add(coinbase, extraNonce, header.Slice(36, 32));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header, version);
        job.Header.PrevHash.CopyTo(header[4..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[68..], ntime);
        BinaryPrimitives.WriteUInt32LittleEndian(header[72..], job.Header.Bits);
        BinaryPrimitives.WriteUInt32LittleEndian(header[76..], nonce);
        Span<byte> hash = stackalloc byte[32];
        Sha256d.Hash(header, hash);

        var shareDifficulty = HashMath.Difficulty(hash);
        var isBlock = HashMath.MeetsTarget(hash, job.Target);
        double acceptedAt;
        if (shareDifficulty >= submission.Difficulty * DifficultyTolerance)
        {
            acceptedAt = submission.Difficulty;
        }
        else if (submission.PreviousDifficulty is { } previous && shareDifficulty >= previous * DifficultyTolerance)
        {
            acceptedAt = previous;
        }
        else if (isBlock)
        {
            // The network target can be easier than a session's difficulty (devnet): a block is never refused.
            acceptedAt = shareDifficulty;
        }
        else
        {
            return ShareVerdict.Reject(
                StratumErrorCodes.LowDifficultyShare,
                string.Create(CultureInfo.InvariantCulture, $"low difficulty share ({shareDifficulty:G6} < {submission.Difficulty:G6})"),
                shareDifficulty);
        }

        switch (job.SubmittedShares.TryAdd(hash))
        {
            case ShareHashSet.AddResult.Duplicate:
                return ShareVerdict.Reject(StratumErrorCodes.DuplicateShare, "duplicate share", shareDifficulty);
            case ShareHashSet.AddResult.Full:
                return ShareVerdict.Reject(StratumErrorCodes.Other, "too many shares for this job, wait for the next one", shareDifficulty);
        }

        var solution = isBlock ? new BlockSolution(header.ToArray(), BuildCoinbase(coinbase, extraNonce), hash.ToArray()) : null;
        return new ShareVerdict(0, null, shareDifficulty, acceptedAt, solution);
    }

    /// <summary>The full coinbase (non-witness serialization): coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2.</summary>
    internal static byte[] BuildCoinbase(CoinbaseParts coinbase, ReadOnlySpan<byte> extraNonce)
    {
        var bytes = new byte[coinbase.Coinb1.Length + extraNonce.Length + coinbase.Coinb2.Length];
        coinbase.Coinb1.CopyTo(bytes, 0);
        extraNonce.CopyTo(bytes.AsSpan(coinbase.Coinb1.Length));
        coinbase.Coinb2.CopyTo(bytes, coinbase.Coinb1.Length + extraNonce.Length);
        return bytes;
    }

    private static void ComputeMerkleRoot(BlockJob job, CoinbaseParts coinbase, ReadOnlySpan<byte> extraNonce, Span<byte> root)
    {
        var length = coinbase.Coinb1.Length + extraNonce.Length + coinbase.Coinb2.Length;
        byte[]? rented = null;
        // Exactly the coinbase's length: a stack buffer is zeroed, and zeroing a fixed 1 KiB showed in profiles.
        var bytes = length <= StackCoinbaseLimit
            ? stackalloc byte[length]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            coinbase.Coinb1.CopyTo(bytes);
            extraNonce.CopyTo(bytes[coinbase.Coinb1.Length..]);
            coinbase.Coinb2.CopyTo(bytes[(coinbase.Coinb1.Length + extraNonce.Length)..]);
            Span<byte> coinbaseHash = stackalloc byte[32];
            Sha256d.Hash(bytes[..length], coinbaseHash);
            MerkleTree.RootFromBranch(coinbaseHash, job.BranchBytes, root);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The 80-byte header for a full coinbase (non-witness serialization): merkle root folded from the job's branch,
    /// version/ntime/nonce as integers (written little-endian).
    /// </summary>
    internal static void BuildHeader(BlockJob job, ReadOnlySpan<byte> coinbase, uint version, uint ntime, uint nonce, Span<byte> header)
    {
        Span<byte> coinbaseHash = stackalloc byte[32];
        Sha256d.Hash(coinbase, coinbaseHash);
        BinaryPrimitives.WriteUInt32LittleEndian(header, version);
        job.Header.PrevHash.CopyTo(header[4..]);
        MerkleTree.RootFromBranch(coinbaseHash, job.BranchBytes, header.Slice(36, 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[68..], ntime);
        BinaryPrimitives.WriteUInt32LittleEndian(header[72..], job.Header.Bits);
        BinaryPrimitives.WriteUInt32LittleEndian(header[76..], nonce);
    }

    private static bool TryParseUInt32Hex(string? hex, out uint value)
    {
        value = 0;
        return hex is { Length: 8 }
            && uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>Outcome of <see cref="ShareValidator.Validate"/>; <see cref="ErrorCode"/> 0 means accepted.</summary>
internal readonly record struct ShareVerdict(int ErrorCode, string? Message, double ShareDifficulty, double AcceptedAtDifficulty, BlockSolution? Block)
{
    public bool Accepted => ErrorCode == 0;

    public static ShareVerdict Reject(int code, string message, double shareDifficulty = 0) => new(code, message, shareDifficulty, 0, null);
}

/// <summary>A share that meets the block target: its header, full non-witness coinbase and hash (internal order).</summary>
internal sealed record BlockSolution(byte[] Header, byte[] Coinbase, byte[] Hash)
{
    public string BlockHash => ByteOrder.ToDisplayHex(Hash);
}
