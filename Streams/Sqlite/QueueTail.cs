namespace ChatCluster.Streams;

/// <summary>
/// The last records this silo's writer committed to one queue, kept in memory so that readers that
/// keep up get new records without a query. It serves only a run that starts right after the
/// reader's offset; a reader that is behind (or records another writer appended) is read from the file.
/// </summary>
internal sealed class QueueTail(int capacity)
{
    private readonly Lock gate = new();
    private readonly LogRecord[] ring = new LogRecord[Math.Max(capacity, 1)];
    private long lastOffset;
    private int count;

    /// <summary>Adds a committed record; a gap (another writer's records in between) starts the tail over.</summary>
    public void Append(LogRecord record)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (gate)
        {
            if (count > 0 && record.Offset != lastOffset + 1)
            {
                count = 0;
            }

            ring[record.Offset % capacity] = record;
            lastOffset = record.Offset;
            count = Math.Min(count + 1, capacity);
        }
    }

    /// <summary>Up to <paramref name="maxCount"/> records after <paramref name="afterOffset"/>, or null when the tail does not hold the next one.</summary>
    public List<LogRecord>? TryRead(long afterOffset, int maxCount)
    {
        lock (gate)
        {
            var firstOffset = lastOffset - count + 1;
            if (count == 0 || afterOffset + 1 < firstOffset || afterOffset >= lastOffset)
            {
                return null;
            }

            var take = (int)Math.Min(maxCount, lastOffset - afterOffset);
            var records = new List<LogRecord>(take);
            for (var offset = afterOffset + 1; offset <= afterOffset + take; offset++)
            {
                records.Add(ring[offset % capacity]);
            }

            return records;
        }
    }
}
