namespace ChatCluster.Client.Messages;

/// <summary>How far the feed has delivered one timeline, and which later seqs are this client's own (acked, not delivered).</summary>
internal sealed class TimelineCursor(long delivered)
{
    private readonly SortedSet<long> own = [];

    /// <summary>Every seq up to this one has been delivered (or was this client's own).</summary>
    public long Delivered { get; private set; } = delivered;

    /// <summary>Moves past <paramref name="seq"/> and then past the own seqs that follow it.</summary>
    public void Pass(long seq)
    {
        if (seq > Delivered)
        {
            Delivered = seq;
        }

        SkipOwn();
    }

    /// <summary>Notes an acked own seq; passes it at once when it is the next one.</summary>
    public void AddOwn(long seq)
    {
        if (seq > Delivered)
        {
            own.Add(seq);
            SkipOwn();
        }
    }

    private void SkipOwn()
    {
        own.RemoveWhere(seq => seq <= Delivered);
        while (own.Remove(Delivered + 1))
        {
            Delivered++;
        }
    }
}
