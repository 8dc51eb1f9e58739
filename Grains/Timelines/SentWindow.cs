namespace ChatCluster.Grains.Timelines;

/// <summary>
/// The de-duplication window of one timeline: the ack of each of its last accepted messages and the sends still in
/// flight, by (sender, client message id). An accepted message is kept as a value (its seq, ts and msgId) rather than as
/// a completed task and an ack object: a timeline remembers up to 100,000 of them, and every send adds one that outlives
/// the young generation, so two objects fewer per entry is that much less for every collection to copy and mark.
/// Used inside one grain: single-threaded.
/// </summary>
internal sealed class SentWindow
{
    private readonly string timeline;
    private readonly int capacity;
    private readonly Dictionary<(string From, string ClientMsgId), Accepted> accepted = [];
    private readonly Queue<(string From, string ClientMsgId)> order = new();
    private readonly Dictionary<(string From, string ClientMsgId), SendReservation> pending = [];

    /// <param name="timeline">The timeline whose acks these are.</param>
    /// <param name="capacity">The most accepted messages remembered; at least 1.</param>
    public SentWindow(string timeline, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.timeline = timeline;
        this.capacity = capacity;
    }

    /// <summary>Accepted messages remembered (not counting sends in flight).</summary>
    public int Count => accepted.Count;

    /// <summary>
    /// The ack of the message <paramref name="from"/> sent with <paramref name="clientMsgId"/>: completed if it was
    /// accepted, pending if it is being sent now. False if neither.
    /// </summary>
    public bool TryGet(string from, string clientMsgId, out Task<SendAck> ack)
    {
        if (pending.TryGetValue((from, clientMsgId), out var reservation))
        {
            ack = reservation.Ack;
            return true;
        }

        if (accepted.TryGetValue((from, clientMsgId), out var entry))
        {
            ack = Task.FromResult(new SendAck(timeline, entry.Seq, entry.MsgId, entry.Ts));
            return true;
        }

        ack = null!;
        return false;
    }

    /// <summary>Remembers a send in flight, so that a resend meanwhile waits for it instead of making a second message.</summary>
    public SendReservation Reserve(string from, string clientMsgId)
    {
        var reservation = new SendReservation((from, clientMsgId));
        pending[reservation.Key] = reservation;
        return reservation;
    }

    /// <summary>Forgets a send in flight that failed (a resend will try again) and fails whoever waits on it.</summary>
    public void Release(SendReservation reservation, Exception reason)
    {
        pending.Remove(reservation.Key);
        reservation.Fail(reason);
    }

    /// <summary>Records <paramref name="message"/> as accepted and completes its reservation, if any.</summary>
    public void Accept(ChatMessage message, SendReservation? reservation)
    {
        if (reservation is not null)
        {
            pending.Remove(reservation.Key);
        }

        Remember(message);
        reservation?.Complete(message);
    }

    /// <summary>Remembers an accepted user message (one loaded from the store, or one just appended).</summary>
    public void Remember(ChatMessage message)
    {
        if (message.Kind != MessageKind.User || message.ClientMsgId.Length == 0)
        {
            return;
        }

        var key = (message.From, message.ClientMsgId);
        if (accepted.TryAdd(key, new Accepted(message.Seq, message.Ts, message.MsgId)))
        {
            order.Enqueue(key);
        }

        while (order.Count > capacity && order.TryDequeue(out var oldest))
        {
            accepted.Remove(oldest);
        }
    }

    private readonly record struct Accepted(long Seq, long Ts, string MsgId);
}
