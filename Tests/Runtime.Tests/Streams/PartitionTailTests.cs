using ChatCluster.Runtime.Streams.Sqlite;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>The SQLite provider's in-memory tail: it answers only for a run that starts right after the reader's offset.</summary>
public sealed class PartitionTailTests
{
    [Fact]
    public void A_reader_right_behind_gets_the_next_events_in_order_up_to_max_count()
    {
        var tail = Filled(capacity: 8, from: 1, to: 5);
        Assert.Equal([3L, 4L], Offsets(tail.TryRead(afterOffset: 2, maxCount: 2)));
        Assert.Equal([3L, 4L, 5L], Offsets(tail.TryRead(afterOffset: 2, maxCount: 100)));
    }

    [Fact]
    public void A_caught_up_reader_or_one_behind_the_tail_is_sent_to_the_table()
    {
        var tail = Filled(capacity: 4, from: 1, to: 10); // holds 7..10
        Assert.Null(tail.TryRead(afterOffset: 10, maxCount: 10));
        Assert.Null(tail.TryRead(afterOffset: 5, maxCount: 10));
        Assert.Equal([7L, 8L, 9L, 10L], Offsets(tail.TryRead(afterOffset: 6, maxCount: 10)));
        Assert.Null(new PartitionTail(4).TryRead(afterOffset: 0, maxCount: 10));
    }

    [Fact]
    public void A_jump_in_offsets_starts_the_tail_over()
    {
        var tail = Filled(capacity: 8, from: 1, to: 3);
        tail.Append(Event(7));
        Assert.Null(tail.TryRead(afterOffset: 2, maxCount: 10)); // 4..6 were never seen here: the table has them
        Assert.Equal([7L], Offsets(tail.TryRead(afterOffset: 6, maxCount: 10)));
    }

    private static PartitionTail Filled(int capacity, long from, long to)
    {
        var tail = new PartitionTail(capacity);
        for (var offset = from; offset <= to; offset++)
        {
            tail.Append(Event(offset));
        }

        return tail;
    }

    private static StoredStreamEvent Event(long offset) =>
        new(new StreamId("ns", "k" + offset), new StreamPosition(0, offset), new byte[] { (byte)offset });

    private static long[] Offsets(List<StoredStreamEvent>? events) =>
        events?.Select(e => e.Position.Low).ToArray() ?? throw new InvalidOperationException("the tail did not answer");
}
