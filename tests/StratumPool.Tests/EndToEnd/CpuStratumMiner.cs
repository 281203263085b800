using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using StratumPool.Tests.Support;

namespace StratumPool.Tests.EndToEnd;

/// <summary>
/// A small Stratum v1 miner: subscribes, authorizes, follows set_difficulty/notify, builds the coinbase, merkle
/// root and header from the notify fields alone and brute-forces nonces on the CPU. Bounded by a hash budget.
/// </summary>
public sealed class CpuStratumMiner : IAsyncDisposable
{
    private static readonly BigInteger DifficultyOneTarget = new BigInteger(0xFFFF) << 208;
    private readonly StratumLineClient _client;
    private readonly Channel<JsonElement> _notifications = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<JsonElement> _replies = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _readLoop;
    private readonly string _worker;
    private byte[] _extraNonce1 = [];
    private int _extraNonce2Size;
    private double _pendingDifficulty = 1;
    private int _nextId = 10;

    private CpuStratumMiner(StratumLineClient client, string worker)
    {
        _client = client;
        _worker = worker;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public double Difficulty { get; private set; } = 1;

    public Job? Current { get; private set; }

    public static async Task<CpuStratumMiner> ConnectAsync(System.Net.IPEndPoint endPoint, string worker)
    {
        var miner = new CpuStratumMiner(await StratumLineClient.ConnectAsync(endPoint), worker);
        await miner.HandshakeAsync();
        return miner;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _client.ReadAsync(TimeSpan.FromMinutes(5)) is { } message)
            {
                var isRequest = message.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String;
                await (isRequest ? _notifications : _replies).Writer.WriteAsync(message);
            }
        }
        catch (Exception exception) when (exception is IOException or TimeoutException or ObjectDisposedException)
        {
        }
        finally
        {
            _notifications.Writer.TryComplete();
            _replies.Writer.TryComplete();
        }
    }

    private async Task<JsonElement> RequestAsync(string method, params object?[] parameters)
    {
        await _client.SendAsync(_nextId++, method, parameters);
        return await _replies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task HandshakeAsync()
    {
        var subscribe = await RequestAsync("mining.subscribe", "cpu-test-miner/1.0");
        var result = subscribe.GetProperty("result");
        _extraNonce1 = Convert.FromHexString(result[1].GetString()!);
        _extraNonce2Size = result[2].GetInt32();
        var authorize = await RequestAsync("mining.authorize", _worker, "x");
        Assert.True(authorize.GetProperty("result").GetBoolean(), authorize.ToString());
        await WaitForJobAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Applies queued notifications; waits up to <paramref name="wait"/> for a first job.</summary>
    public async Task WaitForJobAsync(TimeSpan wait)
    {
        using var deadline = new CancellationTokenSource(wait);
        while (Current is null)
        {
            Apply(await _notifications.Reader.ReadAsync(deadline.Token));
        }

        DrainNotifications();
    }

    private void DrainNotifications()
    {
        while (_notifications.Reader.TryRead(out var message))
        {
            Apply(message);
        }
    }

    private void Apply(JsonElement message)
    {
        var parameters = message.GetProperty("params");
        switch (message.GetProperty("method").GetString())
        {
            case "mining.set_difficulty":
                _pendingDifficulty = parameters[0].GetDouble();
                break;
            case "mining.notify":
                Difficulty = _pendingDifficulty;
                Current = Job.From(parameters);
                break;
        }
    }

    /// <summary>
    /// Hashes until a share is found (returned with whether it also meets the block target), or the budget ends.
    /// </summary>
    public Found? Mine(ref uint extraNonce2, int maxHashes)
    {
        Span<byte> header = stackalloc byte[80];
        Span<byte> hash = stackalloc byte[32];
        var hashes = 0;
        while (hashes < maxHashes)
        {
            DrainNotifications();
            var job = Current!;
            var shareTarget = ToTarget(Difficulty);
            var blockTarget = CompactToTarget(job.NBits);
            var en2 = new byte[_extraNonce2Size];
            BinaryPrimitives.WriteUInt32BigEndian(en2.AsSpan(_extraNonce2Size - 4), extraNonce2++);
            var coinbase = Convert.FromHexString(job.Coinb1 + Convert.ToHexString(_extraNonce1) + Convert.ToHexString(en2) + job.Coinb2);
            var root = SHA256.HashData(SHA256.HashData(coinbase));
            foreach (var branch in job.MerkleBranch)
            {
                root = SHA256.HashData(SHA256.HashData([.. root, .. branch]));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(header, job.Version);
            job.PrevHashInternal.CopyTo(header[4..]);
            root.CopyTo(header[36..]);
            BinaryPrimitives.WriteUInt32LittleEndian(header[68..], job.NTime);
            BinaryPrimitives.WriteUInt32LittleEndian(header[72..], job.NBits);

            // One extranonce2 value: up to 2^16 nonces, then a fresh coinbase (and a look at new jobs).
            for (uint nonce = 0; nonce < 65536 && hashes < maxHashes; nonce++, hashes++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header[76..], nonce);
                SHA256.HashData(header, hash);
                SHA256.HashData(hash, hash);
                var value = new BigInteger(hash, isUnsigned: true, isBigEndian: false);
                if (value <= shareTarget)
                {
                    var blockHash = hash.ToArray();
                    Array.Reverse(blockHash);
                    return new Found(job, Convert.ToHexStringLower(en2), nonce, value <= blockTarget, Convert.ToHexStringLower(blockHash), Difficulty);
                }
            }
        }

        return null;
    }

    public async Task<JsonElement> SubmitAsync(Found found)
    {
        // cpuminer sends every submit with id 4.
        await _client.SendAsync(4, "mining.submit", _worker, found.Job.Id, found.ExtraNonce2,
            found.Job.NTime.ToString("x8", CultureInfo.InvariantCulture), found.Nonce.ToString("x8", CultureInfo.InvariantCulture));
        return await _replies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static BigInteger ToTarget(double difficulty)
    {
        // target = diff1 / difficulty, computed in fixed point to keep precision for tiny difficulties.
        var scaled = new BigInteger(difficulty * 1e12);
        return DifficultyOneTarget * 1_000_000_000_000 / BigInteger.Max(scaled, BigInteger.One);
    }

    private static BigInteger CompactToTarget(uint bits)
    {
        var exponent = (int)(bits >> 24);
        var mantissa = new BigInteger(bits & 0x007fffff);
        return exponent <= 3 ? mantissa >> (8 * (3 - exponent)) : mantissa << (8 * (exponent - 3));
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public sealed record Found(Job Job, string ExtraNonce2, uint Nonce, bool IsBlock, string BlockHash, double Difficulty);

    public sealed record Job(string Id, byte[] PrevHashInternal, string Coinb1, string Coinb2, IReadOnlyList<byte[]> MerkleBranch, uint Version, uint NBits, uint NTime)
    {
        public static Job From(JsonElement p)
        {
            // notify's prevhash is the internal hash with each 4-byte word byte-swapped.
            var prev = Convert.FromHexString(p[1].GetString()!);
            for (var i = 0; i < 32; i += 4)
            {
                Array.Reverse(prev, i, 4);
            }

            return new Job(
                p[0].GetString()!,
                prev,
                p[2].GetString()!,
                p[3].GetString()!,
                p[4].EnumerateArray().Select(b => Convert.FromHexString(b.GetString()!)).ToList(),
                uint.Parse(p[5].GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(p[6].GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(p[7].GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }
    }
}
