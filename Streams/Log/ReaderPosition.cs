using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// Where one reader provider is in one queue, for receivers that read a queue in offset order (SQLite, Kafka), and the
/// rule that keeps its checkpoint honest: it never passes a record handed to Orleans' cache that Orleans has not
/// reported delivered, and records skipped (other namespaces) count once everything handed before them is delivered.
/// </summary>
internal sealed class ReaderPosition
{
    /// <summary>The last record read (handed on or skipped).</summary>
    public long Read { get; private set; }

    /// <summary>The last record handed to Orleans' cache.</summary>
    public long Handed { get; private set; }

    /// <summary>The last checkpoint written.</summary>
    public long Checkpoint { get; private set; }

    /// <summary>Starts after <paramref name="checkpoint"/>, the reader's checkpoint in the log.</summary>
    public void Start(long checkpoint) => Read = Handed = Checkpoint = checkpoint;

    /// <summary>A read call went up to <paramref name="read"/>, and handed records up to <paramref name="handed"/> on.</summary>
    public void Advance(long read, long handed)
    {
        Read = Math.Max(Read, read);
        Handed = Math.Max(Handed, handed);
    }

    /// <summary>The checkpoint was written at <paramref name="offset"/>.</summary>
    public void Checkpointed(long offset) => Checkpoint = Math.Max(Checkpoint, offset);

    /// <summary>
    /// After a read that handed nothing on: the checkpoint past what was skipped since, when nothing handed waits for
    /// delivery (no delivery will report skipped records); null when there is nothing to write.
    /// </summary>
    public long? AfterSkipping() => Handed <= Checkpoint && Read > Checkpoint ? Read : null;

    /// <summary>
    /// After Orleans reported <paramref name="messages"/> delivered (the oldest records of its cache, delivered to every
    /// consumer): the checkpoint to write, or null. When the last record handed on is among them, the records read after
    /// it were all skipped, so the checkpoint moves past those too, unless <paramref name="holdSkipped"/>.
    /// </summary>
    public long? AfterDelivery(IList<IBatchContainer> messages, bool holdSkipped = false)
    {
        long delivered = 0;
        foreach (var message in messages)
        {
            if (message is LogBatchContainer container && container.Offset > delivered)
            {
                delivered = container.Offset;
            }
        }

        var target = delivered >= Handed && !holdSkipped ? Read : delivered;
        return target > Checkpoint ? target : null;
    }
}
