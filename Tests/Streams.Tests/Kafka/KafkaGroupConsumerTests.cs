using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ChatCluster.Streams.Tests.Kafka;

/// <summary>The group consumer's per-partition buffers and their pause and resume, on a fake consumer.</summary>
public sealed class KafkaGroupConsumerTests
{
    private const string Topic = "t";

    /// <summary>
    /// The fetching thread fills a buffer while its receiver drains it, the buffer pausing its partition when full and
    /// resuming it when half empty. With a limit of 2 the two threads meet at the pause and the resume all the time: a resume
    /// made before the pause it answers would leave the partition paused with an empty buffer, and fetching stops for good.
    /// </summary>
    [Fact]
    public async Task A_partition_is_never_left_paused_with_its_buffer_drained()
    {
        const int records = 50_000;
        var runFor = TimeSpan.FromSeconds(10);
        var stalledFor = TimeSpan.FromSeconds(2);
        var (client, fake) = FakeConsumer.Create();
        using var group = new KafkaGroupConsumer(client, Topic, "g", bufferLimit: 2, NullLogger.Instance);
        var buffer = group.Assign(0, 0);
        var started = Stopwatch.StartNew();

        // The fetching thread's part (a paused partition yields no records) until all are added, the time is up, or the
        // partition stays paused with nothing left to take, which only a resume that never comes can end.
        var fetching = Task.Run(() =>
        {
            var added = 0;
            var stalled = Stopwatch.StartNew();
            while (added < records && started.Elapsed < runFor)
            {
                if (!fake.IsPaused(0))
                {
                    buffer.Add(Record(added++));
                    stalled.Restart();
                }
                else if (buffer.Count > 0)
                {
                    stalled.Restart();
                }
                else if (stalled.Elapsed > stalledFor)
                {
                    return (added, Stalled: true);
                }
            }

            return (added, Stalled: false);
        });
        var taking = Task.Run(() =>
        {
            var taken = 0;
            while (!fetching.IsCompleted || buffer.Count > 0)
            {
                if (buffer.TryTake(out var record))
                {
                    Assert.Equal(taken++, record.Offset.Value);
                }
            }

            return taken;
        });

        var ((added, stalled), taken) = (await fetching, await taking);
        Assert.False(stalled, $"Fetching stopped after {added} records: the partition stayed paused with its buffer drained (buffer paused: {buffer.Paused}).");
        Assert.Equal(added, taken);
    }

    [Fact]
    public void A_buffer_pauses_its_partition_when_full_and_resumes_it_at_half()
    {
        var (client, fake) = FakeConsumer.Create();
        using var group = new KafkaGroupConsumer(client, Topic, "g", bufferLimit: 4, NullLogger.Instance);
        var buffer = group.Assign(0, 0);
        for (var i = 0; i < 4; i++)
        {
            Assert.False(fake.IsPaused(0));
            buffer.Add(Record(i));
        }

        Assert.True(fake.IsPaused(0));
        Assert.True(buffer.TryTake(out _));
        Assert.True(fake.IsPaused(0));
        Assert.True(buffer.TryTake(out _));
        Assert.False(fake.IsPaused(0));
        Assert.False(buffer.Paused);
    }

    /// <summary>librdkafka keeps a partition paused through an unassign: the partition's next buffer here must get records.</summary>
    [Fact]
    public void A_partition_given_up_while_paused_is_not_paused_for_its_next_holder()
    {
        var (client, fake) = FakeConsumer.Create();
        using var group = new KafkaGroupConsumer(client, Topic, "g", bufferLimit: 2, NullLogger.Instance);
        var first = group.Assign(1, 0);
        first.Add(Record(0));
        first.Add(Record(1));
        Assert.True(fake.IsPaused(1));

        group.Unassign(first);
        Assert.False(fake.IsPaused(1));

        var second = group.Assign(1, 0);
        second.Add(Record(0));
        second.Add(Record(1));
        Assert.True(fake.IsPaused(1));

        // Assigned again without an unassign (the same silo takes the queue back at once): the same holds.
        var third = group.Assign(1, 2);
        Assert.False(fake.IsPaused(1));
        Assert.False(third.Paused);
    }

    private static ConsumeResult<byte[], byte[]> Record(long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(Topic, 0, offset),
        Message = new Message<byte[], byte[]> { Key = [], Value = [] },
    };
}
