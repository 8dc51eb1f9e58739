namespace ChatCluster.Runtime.Streams.Sqlite;

/// <summary>
/// The last events this process's writer committed to one partition, kept in memory so that readers
/// that keep up get new events without a query. Only a run that starts right after the reader's offset
/// is served from here; anything older (a reader behind, a rewind, a restart) is read from the table.
/// </summary>
internal sealed class PartitionTail(int capacity)
{
    private readonly Lock gate = new();
    private readonly StoredStreamEvent[] ring = new StoredStreamEvent[capacity];
    private long lastOffset;
    private int count;

    /// <summary>Adds a committed event; offsets come in order, and a jump (another writer, a rolled-back batch) starts the tail over.</summary>
    public void Append(StoredStreamEvent committed)
    {
        var offset = committed.Position.Low;
        lock (gate)
        {
            if (count > 0 && offset != lastOffset + 1)
            {
                count = 0;
            }

            ring[offset % capacity] = committed;
            lastOffset = offset;
            count = Math.Min(count + 1, capacity);
        }
    }

    /// <summary>Up to <paramref name="maxCount"/> events after <paramref name="afterOffset"/>, or null when the tail does not hold the next one.</summary>
    public List<StoredStreamEvent>? TryRead(long afterOffset, int maxCount)
    {
        lock (gate)
        {
            var firstOffset = lastOffset - count + 1;
            if (count == 0 || afterOffset + 1 < firstOffset || afterOffset >= lastOffset)
            {
                return null;
            }

            var take = (int)Math.Min(maxCount, lastOffset - afterOffset);
            var events = new List<StoredStreamEvent>(take);
            for (var offset = afterOffset + 1; offset <= afterOffset + take; offset++)
            {
                events.Add(ring[offset % capacity]);
            }

            return events;
        }
    }
}
