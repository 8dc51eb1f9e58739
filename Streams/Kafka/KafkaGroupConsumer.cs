using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Streams;

/// <summary>
/// The one consumer of a reader's group in a silo: the partitions this silo's receivers hold are assigned to it by hand,
/// one thread fetches them all and sorts the records into a buffer per partition, and the receivers take them from there.
/// One consumer per group rather than per partition keeps a silo at a few librdkafka clients (threads, connections,
/// fetch requests) however many queues it holds.
/// </summary>
internal sealed partial class KafkaGroupConsumer : IDisposable
{
    // How long the fetching thread waits for records before it looks again; it also serves the client's callbacks.
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Lock gate = new();
    private readonly IConsumer<byte[], byte[]> consumer;
    private readonly string topic;
    private readonly string group;
    private readonly int bufferLimit;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<int, Buffer> buffers = new();
    private readonly CancellationTokenSource closing = new();
    private Thread? fetching;
    private bool disposed;

    // consumer: a consumer of the group, with nothing assigned; bufferLimit: records buffered per partition before the
    // partition is paused (until its receiver has taken half of them).
    public KafkaGroupConsumer(IConsumer<byte[], byte[]> consumer, string topic, string group, int bufferLimit, ILogger logger)
    {
        this.consumer = consumer;
        this.topic = topic;
        this.group = group;
        this.bufferLimit = bufferLimit;
        this.logger = logger;
    }

    /// <summary>
    /// Starts fetching <paramref name="partition"/> after <paramref name="checkpoint"/> (the log's offset of the last record
    /// delivered, 0 for none) into a new buffer, which the partition's receiver reads from until it calls <see cref="Unassign"/>.
    /// </summary>
    public Buffer Assign(int partition, long checkpoint)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var buffer = new Buffer(this, partition);
            if (buffers.TryRemove(partition, out var previous))
            {
                Release(previous);
            }

            buffers[partition] = buffer;
            consumer.IncrementalAssign([new TopicPartitionOffset(buffer.TopicPartition, checkpoint > 0 ? new Offset(checkpoint) : Offset.Beginning)]);
            if (fetching is null)
            {
                fetching = new Thread(Fetch) { IsBackground = true, Name = $"kafka {group}" };
                fetching.Start();
            }

            return buffer;
        }
    }

    /// <summary>Stops fetching the partition of <paramref name="buffer"/> (librdkafka drops what it fetched of it before).</summary>
    public void Unassign(Buffer buffer)
    {
        lock (gate)
        {
            if (disposed || !buffers.TryRemove(new KeyValuePair<int, Buffer>(buffer.Partition, buffer)))
            {
                return;
            }

            Release(buffer);
        }
    }

    /// <summary>The group's checkpoint on <paramref name="partition"/> (the log's offset of the last record delivered), 0 when it has committed none.</summary>
    /// <exception cref="KafkaException">The group's coordinator did not answer in time.</exception>
    public long Checkpoint(int partition, TimeSpan timeout)
    {
        var committed = consumer.Committed([new TopicPartition(topic, partition)], timeout)[0];
        return committed.Offset.Value < 0 ? 0 : committed.Offset.Value;
    }

    /// <summary>Commits <paramref name="checkpoint"/> (the log's offset of the last record delivered) for <paramref name="partition"/>.</summary>
    public void Commit(int partition, long checkpoint) => consumer.Commit([new TopicPartitionOffset(topic, partition, new Offset(checkpoint))]);

    public void Dispose()
    {
        Thread? running;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            running = fetching;
            buffers.Clear();
        }

        closing.Cancel();
        running?.Join();
        consumer.Close();
        consumer.Dispose();
        closing.Dispose();
    }

    private void Fetch()
    {
        while (!closing.IsCancellationRequested)
        {
            try
            {
                var record = consumer.Consume(PollTimeout);
                if (record is null || record.IsPartitionEOF)
                {
                    continue;
                }

                // A record of a partition given up since it was fetched has no buffer any more: its next holder reads it.
                if (buffers.TryGetValue(record.Partition.Value, out var buffer))
                {
                    buffer.Add(record);
                }
            }
            catch (ConsumeException ex)
            {
                LogFetchFailed(ex, group, ex.Error.Reason);
            }
            catch (KafkaException ex) when (!closing.IsCancellationRequested)
            {
                LogFetchFailed(ex, group, ex.Error.Reason);
                Thread.Sleep(PollTimeout);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    // Under the gate. librdkafka keeps a partition paused by the application through an unassign and a later assign, so a
    // buffer given up while paused is resumed first: the partition's next holder here would otherwise never get a record.
    private void Release(Buffer buffer)
    {
        if (buffer.Paused)
        {
            consumer.Resume([buffer.TopicPartition]);
            buffer.Paused = false;
        }

        consumer.IncrementalUnassign([buffer.TopicPartition]);
    }

    // On the fetching thread, when the buffer has reached its limit. The pause and the resume are decided and made under the
    // gate, on the buffer's count at that moment, so that the partition is paused exactly when the buffer says so: a receiver
    // that drained the buffer between the fetching thread's check and its pause would otherwise leave it paused for good.
    private void PauseIfFull(Buffer buffer)
    {
        lock (gate)
        {
            if (disposed || buffer.Paused || !buffers.TryGetValue(buffer.Partition, out var current) || current != buffer)
            {
                return;
            }

            // Marked before the count is read (a full fence), so that every take after this read sees the mark and can resume.
            buffer.Paused = true;
            if (buffer.Count < bufferLimit)
            {
                buffer.Paused = false;
                return;
            }

            consumer.Pause([buffer.TopicPartition]);
        }
    }

    // On the receiver's thread, when it took from a paused buffer down to half its limit.
    private void ResumeIfDrained(Buffer buffer)
    {
        lock (gate)
        {
            if (disposed || !buffer.Paused || buffer.Count > bufferLimit / 2 || !buffers.TryGetValue(buffer.Partition, out var current) || current != buffer)
            {
                return;
            }

            try
            {
                consumer.Resume([buffer.TopicPartition]);
                buffer.Paused = false;
            }
            catch (KafkaException ex)
            {
                // Not thrown out of the take: the record taken is the receiver's, and its next take tries again.
                LogResumeFailed(ex, group, buffer.Partition, ex.Error.Reason);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consumer of group {Group} could not resume partition {Partition}: {Reason}")]
    private partial void LogResumeFailed(Exception exception, string group, int partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The consumer of group {Group} could not fetch: {Reason}")]
    private partial void LogFetchFailed(Exception exception, string group, string reason);

    /// <summary>The records of one partition fetched for its receiver, in offset order.</summary>
    internal sealed class Buffer(KafkaGroupConsumer owner, int partition)
    {
        private readonly ConcurrentQueue<ConsumeResult<byte[], byte[]>> records = new();
        private int paused; // 1 while the partition is paused (or about to be) for a full buffer; written under the owner's gate

        public int Partition { get; } = partition;

        public TopicPartition TopicPartition { get; } = new(owner.topic, partition);

        /// <summary>The records fetched and not taken yet.</summary>
        public int Count => records.Count;

        /// <summary>Whether the partition is paused for a full buffer.</summary>
        public bool Paused
        {
            get => Volatile.Read(ref paused) == 1;

            // A full fence: the pause reads the count after it marks the buffer, and a take reads the mark after it dequeues.
            internal set => Interlocked.Exchange(ref paused, value ? 1 : 0);
        }

        /// <summary>The next record fetched, if any (never waits).</summary>
        public bool TryTake(out ConsumeResult<byte[], byte[]> record)
        {
            if (!records.TryDequeue(out record!))
            {
                return false;
            }

            if (Paused && records.Count <= owner.bufferLimit / 2)
            {
                owner.ResumeIfDrained(this);
            }

            return true;
        }

        internal void Add(ConsumeResult<byte[], byte[]> record)
        {
            records.Enqueue(record);
            if (!Paused && records.Count >= owner.bufferLimit)
            {
                owner.PauseIfFull(this);
            }
        }
    }
}
