namespace ChatCluster.Runtime.Streams.Memory;

/// <summary>One partition of one namespace in memory: its events in order (offset n at index n - 1).</summary>
internal sealed class MemoryPartition
{
    private readonly Lock gate = new();
    private readonly List<StoredStreamEvent> events = [];

    public PartitionSignal Appended { get; } = new();

    public StreamPosition End
    {
        get
        {
            lock (gate)
            {
                return new StreamPosition(0, events.Count);
            }
        }
    }

    public StreamPosition Append(StreamId stream, byte[] payload)
    {
        StreamPosition position;
        lock (gate)
        {
            position = new StreamPosition(0, events.Count + 1);
            events.Add(new StoredStreamEvent(stream, position, payload));
        }

        Appended.Notify();
        return position;
    }

    /// <summary>Up to <paramref name="maxCount"/> events after offset <paramref name="afterOffset"/>.</summary>
    public StoredStreamEvent[] ReadAfter(long afterOffset, int maxCount)
    {
        lock (gate)
        {
            var start = (int)Math.Min(afterOffset, events.Count);
            var count = Math.Min(maxCount, events.Count - start);
            return count == 0 ? [] : events.GetRange(start, count).ToArray();
        }
    }
}
