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
/// A job is sent early only when it is new to a session whose own connection has delivered the node's newest job
/// already and that job reached at least two sessions: the connection's bytes are in order, so the line that follows
/// the newest job on it is newer still, and the pool was seen to give more than one miner the same job. The session
/// it goes to must have the job before it too. A session whose own connection then brings a different line has it
/// passed on as usual; after a few of those (a pool that gives jobs per connection after all), this node's jobs are
/// no longer sent early.
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
    private long _newest;
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

    /// <summary>Whether jobs are still sent early (false once sessions were seen to get jobs of their own).</summary>
    public bool Enabled => Volatile.Read(ref _mismatches) < MismatchesBeforeStop;

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
        // Nearly every copy is of the node's newest job: recognised without the gate, which the loops would
        // otherwise take in turn for each of thousands of copies of one broadcast.
        bool drop;
        if (Volatile.Read(ref _newestJob) is { } newest && newest.Line.AsSpan().SequenceEqual(line))
        {
            drop = OnKnownJob(follower, newest, canDrop);
            follower.OtherLineSince = false;
            if (drop)
            {
                _counters.Dropped.Add(1);
            }

            return drop;
        }

        FanOut[]? fanOuts = null;
        lock (_gate)
        {
            var job = Find(line);
            if (job is not null)
            {
                drop = OnKnownJob(follower, job, canDrop);
            }
            else if (follower.OtherLineSince)
            {
                // A job re-sent to this session alone after a change of its own (difficulty, extranonce): passed on,
                // and not taken for the node's newest.
                drop = false;
            }
            else
            {
                var previous = _newestJob;
                if (follower.Given > follower.Own)
                {
                    // It was given a job its own connection has not brought, and now brings another one.
                    _counters.Mismatches.Add(1);
                    if (++_mismatches == MismatchesBeforeStop)
                    {
                        LogStopped(_logger, _cluster, _destination, MismatchesBeforeStop);
                    }
                }

                var trigger = previous is not null
                    && _mismatches < MismatchesBeforeStop
                    && Volatile.Read(ref previous.Confirmations) >= 2
                    && follower.Own == previous.Seq
                    && follower.Given == previous.Seq;
                job = Remember(line);
                follower.Own = follower.Given = job.Seq;
                drop = false;
                if (trigger)
                {
                    fanOuts = Prepare(job, previous!.Seq);
                }
            }

            follower.OtherLineSince = false;
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

        if (drop)
        {
            _counters.Dropped.Add(1);
        }

        return drop;
    }

    /// <summary>A session's own copy of a job the node sent before: dropped if the miner has it, else it is the miner's newest.</summary>
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

    private Job? Find(ReadOnlySpan<byte> line)
    {
        for (var seq = _newest; seq > _newest - RememberedJobs && seq > 0; seq--)
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
        var job = new Job(line.ToArray(), ++_newest);
        _jobs[job.Seq % RememberedJobs] = job;
        Volatile.Write(ref _newestJob, job);
        return job;
    }

    /// <summary>Each loop's share of the sessions to send <paramref name="job"/> to, under the gate.</summary>
    private FanOut[] Prepare(Job job, long previous)
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
            fanOuts[loop] = new FanOut(this, job, previous, copy, members.Count);
        }

        return fanOuts;
    }

    /// <summary>One job as the pool wrote it, and how many sessions' own connections brought it (up to 2).</summary>
    private sealed class Job(byte[] line, long seq)
    {
        public int Confirmations = 1;

        public byte[] Line { get; } = line;

        public long Seq { get; } = seq;
    }

    /// <summary>One loop's share of an early send, run on that loop.</summary>
    private sealed class FanOut(NotifyBroadcast owner, Job job, long previous, NotifyFollower[] members, int count)
    {
        private static readonly Func<(NotifyFollower Follower, FanOut FanOut), bool> s_admit =
            static state => state.Follower.Admit(state.FanOut.Previous, state.FanOut.Job.Seq);

        public Job Job => job;

        public long Previous => previous;

        public void Run()
        {
            long sent = 0;
            for (var i = 0; i < count; i++)
            {
                var follower = members[i];
                if (follower.Relay is { } relay && relay.TryInject(job.Line, s_admit, (follower, this)))
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
    public bool OtherLineSince { get; set; }

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
