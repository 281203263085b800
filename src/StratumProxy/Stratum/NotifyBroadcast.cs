using System.Buffers;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Relay;

namespace StratumProxy.Stratum;

/// <summary>
/// The jobs one pool node sends its miners. A pool broadcasts a new job by writing the same <c>mining.notify</c>
/// line to every connection, one after another: with thousands of miners the last one hears of a new block tens of
/// milliseconds after the first, and mines stale work meanwhile. Once the first copy of a new job arrives, this
/// sends it at once to every session that had the job before it from this node, each on its own event loop, and
/// drops each session's own copy when it arrives. A pool that gives each connection jobs of its own (a payout
/// address per miner) never shows two sessions the same line, so nothing is sent early there.
/// </summary>
/// <remarks>
/// A job is sent early at most once, by the first copy that proves it new enough: the node's newest job, arriving on
/// a connection that delivered the job before it (its bytes are in order, so this one is newer) with no line of the
/// session's own in between (a job re-sent after a difficulty change may be that miner's alone), where the job before
/// it reached two sessions at least (the pool gives its miners the same jobs). It goes to the sessions that had the
/// job before it. A session whose own connection then brings a different line has it passed on as usual; after a few
/// of those (a pool that gives jobs per connection after all), this node's jobs are no longer sent early.
/// </remarks>
public sealed partial class NotifyBroadcast
{
    /// <summary>Recent jobs kept to recognise a session's own copy; a broadcast every ten seconds keeps 80 s.</summary>
    internal const int RememberedJobs = 8;

    /// <summary>Sessions given a job their own connection did not confirm before early sending stops for the node.</summary>
    internal const int MismatchesBeforeStop = 3;

    private static readonly Action<object?> s_fanOut = static state => ((FanOut)state!).Run();

    private readonly Lock _gate = new();
    private readonly Job?[] _jobs = new Job?[RememberedJobs];
    private readonly List<NotifyFollower>[] _members;
    private readonly BroadcastCounters _counters;
    private readonly ILogger _logger;
    private readonly string _cluster;
    private readonly string _destination;
    private Job? _newestJob;
    private int _mismatches;

    internal NotifyBroadcast(string cluster, string destination, BroadcastCounters counters, ILogger logger)
    {
        _cluster = cluster;
        _destination = destination;
        _counters = counters;
        _logger = logger;
        _members = new List<NotifyFollower>[EventLoopThread.MaxLoops];
        for (var i = 0; i < _members.Length; i++)
        {
            _members[i] = [];
        }
    }

    /// <summary>State for one session whose lines from this node are relayed.</summary>
    public NotifyFollower Follow() => new(this);

    internal void Join(NotifyFollower follower, int loop)
    {
        lock (_gate)
        {
            var members = _members[loop];
            follower.Loop = loop;
            follower.MemberIndex = members.Count;
            members.Add(follower);
        }
    }

    internal void Leave(NotifyFollower follower)
    {
        lock (_gate)
        {
            if (follower.MemberIndex < 0)
            {
                return;
            }

            var members = _members[follower.Loop];
            var last = members[^1];
            members[follower.MemberIndex] = last;
            last.MemberIndex = follower.MemberIndex;
            members.RemoveAt(members.Count - 1);
            follower.MemberIndex = -1;
        }
    }

    /// <summary>
    /// A <c>mining.notify</c> <paramref name="line"/> (its terminator included) came from the session's own pool
    /// connection. True when the miner has it already and the line is to be dropped, which <paramref name="canDrop"/>
    /// allows (the line starts what the relay received, or follows lines that were dropped too).
    /// </summary>
    internal bool OnOwnNotify(NotifyFollower follower, ReadOnlySpan<byte> line, bool canDrop)
    {
        // Nearly every copy is of the node's newest job, sent early already: recognised without the gate, which the
        // loops would otherwise take in turn for each of thousands of copies of one broadcast.
        bool drop;
        if (Volatile.Read(ref _newestJob) is { } newest && newest.Line.AsSpan().SequenceEqual(line) && !MayFanOut(follower, newest))
        {
            drop = OnKnownJob(follower, newest, canDrop);
        }
        else
        {
            FanOut[]? fanOuts = null;
            lock (_gate)
            {
                var job = Find(line);
                if (job is null)
                {
                    if (follower.Given > follower.Own)
                    {
                        // It was given a job its own connection has not brought, and now brings another one.
                        _counters.Mismatches.Add(1);
                        if (++_mismatches == MismatchesBeforeStop)
                        {
                            LogStopped(_logger, _cluster, _destination, MismatchesBeforeStop);
                        }
                    }

                    job = Remember(line);
                }

                if (MayFanOut(follower, job))
                {
                    job.FannedOut = true;
                    fanOuts = Prepare(job);
                }

                drop = OnKnownJob(follower, job, canDrop);
            }

            if (fanOuts is not null)
            {
                for (var loop = 0; loop < fanOuts.Length; loop++)
                {
                    if (fanOuts[loop] is { } fanOut)
                    {
                        EventLoopWork.Post(loop, s_fanOut, fanOut);
                    }
                }
            }
        }

        follower.OtherLineSince = false;
        if (drop)
        {
            _counters.Dropped.Add(1);
        }

        return drop;
    }

    /// <summary>
    /// Whether this copy of <paramref name="job"/> proves it new enough to send to the node's other sessions: it is
    /// the node's newest and not sent yet, the session's own connection delivered the job before it (its bytes are in
    /// order) with nothing of its own in between (a job re-sent after its difficulty changed may be its alone), and
    /// that job reached two sessions at least (the pool gives its miners the same jobs).
    /// </summary>
    private bool MayFanOut(NotifyFollower follower, Job job) =>
        !Volatile.Read(ref job.FannedOut)
        && ReferenceEquals(job, Volatile.Read(ref _newestJob))
        && !follower.OtherLineSince
        && follower.Own == job.PreviousSeq
        && follower.Given == job.PreviousSeq
        && JobAt(job.PreviousSeq) is { } previous
        && Volatile.Read(ref previous.Confirmations) >= 2
        && Volatile.Read(ref _mismatches) < MismatchesBeforeStop;

    /// <summary>A session's own copy of a job: dropped if the miner has it, else it is the miner's newest.</summary>
    private static bool OnKnownJob(NotifyFollower follower, Job job, bool canDrop)
    {
        // Counted only as far as the rule needs, so the copies of a broadcast do not all write one shared field.
        if (Volatile.Read(ref job.Confirmations) < 2)
        {
            Interlocked.Increment(ref job.Confirmations);
        }

        // After a difficulty or extranonce change the pool sends the job again, and the miner must hear it.
        var drop = canDrop && job.Seq <= follower.Given && !(follower.OtherLineSince && job.Seq == follower.Given);
        if (follower.Own < job.Seq)
        {
            follower.Own = job.Seq;
        }

        if (!drop && follower.Given < job.Seq)
        {
            follower.Given = job.Seq;
        }

        return drop;
    }

    private Job? JobAt(long seq) => seq > 0 && _jobs[seq % RememberedJobs] is { } job && job.Seq == seq ? job : null;

    private Job? Find(ReadOnlySpan<byte> line)
    {
        var newest = _newestJob?.Seq ?? 0;
        for (var seq = newest; seq > newest - RememberedJobs && seq > 0; seq--)
        {
            var job = _jobs[seq % RememberedJobs]!;
            if (job.Line.AsSpan().SequenceEqual(line))
            {
                return job;
            }
        }

        return null;
    }

    private Job Remember(ReadOnlySpan<byte> line)
    {
        var previous = _newestJob?.Seq ?? 0;
        var job = new Job(line.ToArray(), previous + 1, previous);
        _jobs[job.Seq % RememberedJobs] = job;
        Volatile.Write(ref _newestJob, job);
        return job;
    }

    /// <summary>Each loop's share of the sessions to send <paramref name="job"/> to, under the gate.</summary>
    private FanOut[] Prepare(Job job)
    {
        var fanOuts = new FanOut[_members.Length];
        for (var loop = 0; loop < _members.Length; loop++)
        {
            var members = _members[loop];
            if (members.Count == 0)
            {
                continue;
            }

            var copy = ArrayPool<NotifyFollower>.Shared.Rent(members.Count);
            members.CopyTo(copy);
            fanOuts[loop] = new FanOut(this, job, copy, members.Count);
        }

        return fanOuts;
    }

    /// <summary>
    /// One job as the pool wrote it, the node's newest before it, how many sessions' own connections brought it (up
    /// to 2), and whether it was sent early.
    /// </summary>
    private sealed class Job(byte[] line, long seq, long previousSeq)
    {
        public int Confirmations;

        public bool FannedOut;

        public byte[] Line { get; } = line;

        public long Seq { get; } = seq;

        public long PreviousSeq { get; } = previousSeq;
    }

    /// <summary>One loop's share of an early send, run on that loop.</summary>
    private sealed class FanOut(NotifyBroadcast owner, Job job, NotifyFollower[] members, int count)
    {
        private static readonly Func<(NotifyFollower Follower, Job Job), bool> s_admit =
            static state => state.Follower.Admit(state.Job.PreviousSeq, state.Job.Seq);

        public void Run()
        {
            long sent = 0;
            for (var i = 0; i < count; i++)
            {
                var follower = members[i];
                if (follower.Relay is { } relay && relay.TryInject(job.Line, s_admit, (follower, job)))
                {
                    sent++;
                }
            }

            Array.Clear(members, 0, count);
            ArrayPool<NotifyFollower>.Shared.Return(members);
            owner._counters.Early.Add(sent);
        }
    }
}

/// <summary>
/// What one session's broadcast state needs of a relay: where it runs, and the line sent early. Touched under the
/// session's relay gate only (its own lines, and an early send's check), except <see cref="Loop"/> and
/// <see cref="MemberIndex"/>, which the node's gate guards.
/// </summary>
public sealed class NotifyFollower
{
    private readonly NotifyBroadcast _broadcast;

    internal NotifyFollower(NotifyBroadcast broadcast) => _broadcast = broadcast;

    internal LineRelay? Relay { get; private set; }

    internal int Loop { get; set; }

    internal int MemberIndex { get; set; } = -1;

    /// <summary>The newest job the miner was given (sequence within the node).</summary>
    internal long Given { get; set; }

    /// <summary>The newest job the session's own connection brought.</summary>
    internal long Own { get; set; }

    /// <summary>A line other than a job or a reply came from the pool since the last job (a difficulty, for one).</summary>
    internal bool OtherLineSince { get; set; }

    /// <summary>Starts taking jobs sent early, on <paramref name="relay"/>'s loop.</summary>
    public void Join(LineRelay relay)
    {
        Relay = relay;
        _broadcast.Join(this, relay.LoopNumber);
    }

    public void Leave() => _broadcast.Leave(this);

    /// <summary>See <see cref="NotifyBroadcast.OnOwnNotify"/>.</summary>
    public bool OnOwnNotify(ReadOnlySpan<byte> line, bool canDrop) => _broadcast.OnOwnNotify(this, line, canDrop);

    /// <summary>Under the relay's gate: whether the job after <paramref name="previous"/> is still news to the miner.</summary>
    internal bool Admit(long previous, long seq)
    {
        if (Given != previous)
        {
            return false;
        }

        Given = seq;
        return true;
    }
}
