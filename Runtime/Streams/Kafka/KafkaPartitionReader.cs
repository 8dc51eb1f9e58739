using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Streams.Kafka;

/// <summary>
/// Reads one partition of a <see cref="KafkaStreamProvider"/> topic for one handler group with a consumer of its own in
/// the group's Kafka consumer group. On the first read it makes sure the topic exists, reads the group's committed
/// offset and assigns the partition there by hand (<c>Assign</c>, no subscription: no Kafka rebalancing, the runtime
/// decides which silo reads which partition); from the start of the partition when the group committed nothing.
/// <see cref="AcknowledgeAsync"/> commits the offset after the acknowledged event; <see cref="Rewind"/> assigns the
/// partition again at the last committed offset, dropping what the consumer fetched ahead.
/// </summary>
/// <remarks>
/// librdkafka fetches in the background; a read takes what was fetched without blocking a thread and, while there is
/// nothing, polls again after a short pause (1 ms doubling to 16 ms) until its wait is over: a reader never holds a
/// thread-pool thread in a blocking call.
/// </remarks>
internal sealed partial class KafkaPartitionReader : IPartitionReader
{
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(16);
    private readonly KafkaStreamProvider provider;
    private readonly CheckpointKey key;
    private readonly TopicPartition partition;
    private readonly ILogger logger;
    private IConsumer<string, byte[]>? consumer;

    // The group's committed offset as this reader knows it (the next offset to read after a rewind); -1: none.
    private long committed = -1;
    private bool disposed;

    public KafkaPartitionReader(KafkaStreamProvider provider, CheckpointKey key, string topic, ILogger logger)
    {
        this.provider = provider;
        this.key = key;
        this.logger = logger;
        partition = new TopicPartition(topic, key.Partition);
    }

    public async Task<IReadOnlyList<StoredStreamEvent>> ReadAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        var reading = await OpenAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var events = Take(reading, maxCount);
            if (events.Count > 0)
            {
                return events;
            }

            var remaining = wait == Timeout.InfiniteTimeSpan ? LongestPause : wait - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return events;
            }

            await Task.Delay(remaining < pause ? remaining : pause, cancellationToken);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    public async Task AcknowledgeAsync(StreamPosition position, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var reading = await OpenAsync(cancellationToken);
        // The position of the event at offset o is o + 1: exactly the offset to commit (the next one to read).
        var next = position.Low;
        if (next <= committed)
        {
            return; // never back
        }

        try
        {
            await Task.Run(() => reading.Commit([new TopicPartitionOffset(partition, new Offset(next))]), cancellationToken);
        }
        catch (KafkaException ex)
        {
            throw provider.Unavailable($"Kafka did not commit offset {next} of group '{provider.GroupIdOf(key.Group)}' in topic '{partition.Topic}' partition {key.Partition}", ex);
        }

        committed = next;
    }

    public void Rewind()
    {
        // Assigning again resets the fetch position and drops what was fetched ahead, unlike a seek on a partition still starting.
        consumer?.Assign(StartOffset());
    }

    public ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return ValueTask.CompletedTask;
        }

        disposed = true;
        if (consumer is null)
        {
            return ValueTask.CompletedTask;
        }

        var closing = consumer;
        consumer = null;
        return new ValueTask(Task.Run(() =>
        {
            try
            {
                closing.Close(); // no subscription and no auto-commit: leaves nothing behind
            }
            catch (KafkaException ex)
            {
                LogCloseFailed(logger, ex, key.Group, key.Namespace, key.Partition);
            }

            closing.Dispose();
        }));
    }

    /// <summary>The consumer, created and assigned at the committed offset on first use (the topic made sure of first).</summary>
    private async ValueTask<IConsumer<string, byte[]>> OpenAsync(CancellationToken cancellationToken)
    {
        if (consumer is not null)
        {
            return consumer;
        }

        await provider.EnsureTopicAsync(key.Namespace, cancellationToken);
        committed = await provider.GetCommittedOffsetAsync(key.Group, partition, cancellationToken);
        var created = provider.CreateConsumer(key.Group);
        try
        {
            created.Assign(StartOffset());
        }
        catch
        {
            created.Dispose();
            throw;
        }

        consumer = created;
        LogOpened(logger, key.Group, key.Namespace, key.Partition, partition.Topic, committed < 0 ? "the beginning" : $"offset {committed}");
        return created;
    }

    private TopicPartitionOffset StartOffset() => new(partition, committed < 0 ? Offset.Beginning : new Offset(committed));

    /// <summary>What the consumer has fetched, up to <paramref name="maxCount"/> messages, without waiting.</summary>
    private List<StoredStreamEvent> Take(IConsumer<string, byte[]> reading, int maxCount)
    {
        var events = new List<StoredStreamEvent>();
        try
        {
            while (events.Count < maxCount && reading.Consume(TimeSpan.Zero) is { } result)
            {
                if (result.IsPartitionEOF || result.Message is null)
                {
                    break;
                }

                events.Add(new StoredStreamEvent(
                    new StreamId(key.Namespace, result.Message.Key ?? ""), new StreamPosition(0, result.Offset.Value + 1), result.Message.Value ?? []));
            }
        }
        catch (ConsumeException ex) when (events.Count == 0)
        {
            throw provider.Unavailable($"Kafka did not deliver topic '{partition.Topic}' partition {key.Partition} to group '{provider.GroupIdOf(key.Group)}'", ex);
        }
        catch (ConsumeException)
        {
            // Return what was read; the error comes back on the next read.
        }

        return events;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group {Group} reads {Namespace} partition {Partition} (topic {Topic}) from {Start}")]
    private static partial void LogOpened(ILogger logger, string group, string @namespace, int partition, string topic, string start);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the Kafka consumer of group {Group} on {Namespace} partition {Partition} failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string group, string @namespace, int partition);
}
