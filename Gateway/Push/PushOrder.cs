namespace ChatCluster.Gateway.Push;

/// <summary>
/// Keeps the <c>msg</c> frames of each timeline on one connection in <c>seq</c> order (PROTOCOL.md, "Push"), whatever
/// order the pushes arrive in. A push that arrives after a higher seq of its timeline went out (a consumer group
/// delivering a batch again after a restart, or a copy read from a slower log partition) is dropped: the client has
/// moved past it, and <c>sync</c> has it. A push that arrives ahead of a missing seq is held until the missing one
/// arrives (or is acked on this connection, which is how the sending connection learns of its own messages) or until
/// <see cref="Window"/> has passed; then what is held goes out in order, and the gap stays (the client syncs over it).
/// One per connection, made at its first push; not thread-safe (the connection calls it under its lock).
/// </summary>
/// <param name="window">How long a push waits for a missing lower seq; a missing seq that has not come by then is given up.</param>
public sealed class PushOrder(TimeSpan window)
{
    private readonly Dictionary<string, Cursor> timelines = new(StringComparer.Ordinal);
    private readonly long windowMs = (long)window.TotalMilliseconds;
    private (long Held, long Dropped, long GivenUp) reported;

    /// <summary>How long a push waits for a missing lower seq.</summary>
    public TimeSpan Window => window;

    /// <summary>True while a push is held: the connection should call <see cref="Expire"/> once <see cref="Window"/> has passed.</summary>
    public bool IsHolding { get; private set; }

    /// <summary>Pushes dropped because a higher seq of their timeline had gone out already.</summary>
    public long Dropped { get; private set; }

    /// <summary>Pushes held behind a missing lower seq.</summary>
    public long Held { get; private set; }

    /// <summary>Missing seqs given up after <see cref="Window"/> (a push behind each went out without it).</summary>
    public long GivenUp { get; private set; }

    /// <summary>True when <see cref="Held"/>, <see cref="Dropped"/> or <see cref="GivenUp"/> grew since <see cref="TakeNewCounts"/>.</summary>
    public bool HasNewCounts => Held != reported.Held || Dropped != reported.Dropped || GivenUp != reported.GivenUp;

    /// <summary>How much <see cref="Held"/>, <see cref="Dropped"/> and <see cref="GivenUp"/> grew since the last call (for metrics).</summary>
    public (long Held, long Dropped, long GivenUp) TakeNewCounts()
    {
        var grown = (Held - reported.Held, Dropped - reported.Dropped, GivenUp - reported.GivenUp);
        reported = (Held, Dropped, GivenUp);
        return grown;
    }

    /// <summary>
    /// A push of <paramref name="seq"/> in <paramref name="timeline"/>: adds the frames to send now, in order, to
    /// <paramref name="ready"/> (this one, and any held ones it unblocks), or holds it, or drops it.
    /// </summary>
    /// <remarks><paramref name="now"/> is the time in milliseconds (<see cref="Environment.TickCount64"/>), as for every method here.</remarks>
    public void Push(string timeline, long seq, byte[] frame, long now, List<byte[]> ready)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(ready);
        if (!timelines.TryGetValue(timeline, out var cursor))
        {
            // The first push of a timeline on this connection: nothing to order it against.
            timelines[timeline] = new Cursor { Last = seq };
            ready.Add(frame);
            return;
        }

        if (cursor.Last == Unknown)
        {
            // Only acks came before: this push sets where the timeline stands.
            ready.Add(frame);
            StandAt(cursor, seq, now, ready);
            return;
        }

        Arrive(cursor, seq, frame, now, ready);
    }

    /// <summary>
    /// The timeline's pushes to this connection start above <paramref name="seq"/>: a lower one is dropped, and the first
    /// push above it waits for none below. Ignored once a push of the timeline went out (those set where it stands).
    /// </summary>
    public void StartAfter(string timeline, long seq, long now, List<byte[]> ready)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(ready);
        if (!timelines.TryGetValue(timeline, out var cursor))
        {
            timelines[timeline] = new Cursor { Last = seq };
            return;
        }

        if (cursor.Last == Unknown)
        {
            StandAt(cursor, seq, now, ready);
        }
    }

    /// <summary>
    /// This connection was acked <paramref name="seq"/> in <paramref name="timeline"/>: it will get no push of it, so
    /// the seq is not missing. Adds what that unblocks to <paramref name="ready"/>.
    /// </summary>
    public void Acked(string timeline, long seq, long now, List<byte[]> ready)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(ready);
        if (!timelines.TryGetValue(timeline, out var cursor))
        {
            // No push of the timeline yet: the first push sets where it stands; until then the ack is only noted, so
            // that a push just above it need not wait for it.
            timelines[timeline] = cursor = new Cursor { Last = Unknown, Held = [] };
        }

        if (cursor.Last == Unknown)
        {
            cursor.Held![seq] = null;
            return;
        }

        Arrive(cursor, seq, frame: null, now, ready);
    }

    /// <summary>
    /// Gives up the missing seqs that held a push for <see cref="Window"/>: adds the held frames behind them to
    /// <paramref name="ready"/>, in order. Acks noted above the last of those frames stay noted: nothing waits on them.
    /// </summary>
    public void Expire(long now, List<byte[]> ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var holding = false;
        foreach (var cursor in timelines.Values)
        {
            if (cursor.Last == Unknown || cursor.Held is not { Count: > 0 } held || !HoldsFrame(held))
            {
                continue;
            }

            if (now - cursor.HeldSince < windowMs)
            {
                holding = true;
                continue;
            }

            while (HoldsFrame(held))
            {
                var (seq, frame) = (held.Keys[0], held.Values[0]);
                if (frame is not null)
                {
                    ready.Add(frame);
                }

                GivenUp += seq - cursor.Last - 1;
                cursor.Last = seq;
                held.RemoveAt(0);
            }

            cursor.HeldSince = now;
        }

        IsHolding = holding;
    }

    private static bool HoldsFrame(SortedList<long, byte[]?> held)
    {
        foreach (var frame in held.Values)
        {
            if (frame is not null)
            {
                return true;
            }
        }

        return false;
    }

    private void Arrive(Cursor cursor, long seq, byte[]? frame, long now, List<byte[]> ready)
    {
        if (seq <= cursor.Last)
        {
            if (frame is not null)
            {
                Dropped++;
            }

            return;
        }

        if (seq > cursor.Last + 1)
        {
            cursor.Held ??= [];
            if (frame is not null && !HoldsFrame(cursor.Held))
            {
                cursor.HeldSince = now; // the window runs from the first frame held, not from acks noted before it
            }

            // A push and an ack of one seq can both come (an ack, then the push of a resend): the frame wins.
            if (frame is not null || !cursor.Held.ContainsKey(seq))
            {
                cursor.Held[seq] = frame;
                if (frame is not null)
                {
                    Held++;
                    IsHolding = true;
                }
            }

            return;
        }

        if (frame is not null)
        {
            ready.Add(frame);
        }

        cursor.Last = seq;
        Drain(cursor, now, ready);
    }

    /// <summary>
    /// A timeline that had only acks noted now stands at <paramref name="seq"/>: the acks at or below it are done with,
    /// and those right above it release what they can.
    /// </summary>
    private static void StandAt(Cursor cursor, long seq, long now, List<byte[]> ready)
    {
        cursor.Last = seq;
        while (cursor.Held!.Count > 0 && cursor.Held.Keys[0] <= seq)
        {
            cursor.Held.RemoveAt(0);
        }

        Drain(cursor, now, ready);
    }

    /// <summary>Sends what was held right above the cursor, as far as it goes without a gap.</summary>
    private static void Drain(Cursor cursor, long now, List<byte[]> ready)
    {
        if (cursor.Held is { Count: > 0 } held)
        {
            while (held.Count > 0 && held.Keys[0] == cursor.Last + 1)
            {
                if (held.Values[0] is { } next)
                {
                    ready.Add(next);
                }

                cursor.Last++;
                held.RemoveAt(0);
            }

            // What is still held waits behind another missing seq, from now on.
            cursor.HeldSince = now;
        }
    }

    // Only acks have come for the timeline: its held entries are acked seqs, and the first push sets where it stands.
    private const long Unknown = long.MinValue;

    private sealed class Cursor
    {
        public long Last;
        public SortedList<long, byte[]?>? Held;
        public long HeldSince;
    }
}
