using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// Reads one partition of the Kafka log for one reader provider: the partition is assigned by hand to the silo's
/// consumer of the reader's group (Orleans' queue balancer decides who holds it, never Kafka's group rebalancing), from
/// the group's committed offset. It hands the records of the source namespace to Orleans' cache on the reader's stream for the
/// queue, skips the others, dead-letters the ones it cannot decode, and commits what Orleans reports delivered.
/// </summary>
internal sealed partial class KafkaQueueReceiver : IQueueAdapterReceiver
{
    // When Orleans leaves the count open (no cache), read at most this many records per call.
    private const int DefaultReadCount = 1024;

    // While two silos hold a queue for a moment (it is moving), the one that goes may commit an older offset after the
    // new holder's; the holder commits its checkpoint again this often, so that the group's offset cannot stay behind.
    private static readonly TimeSpan RecommitPeriod = TimeSpan.FromSeconds(2);

    private readonly KafkaLog log;
    private readonly LogReader reader;
    private readonly int queue;
    private readonly LogRecordCodec codec;
    private readonly StreamConsumerLag lag;
    private readonly ILogger logger;
    private readonly byte[] sourceNamespace;
    private readonly StreamId deliveredStream;
    private KafkaGroupConsumer? group;
    private KafkaGroupConsumer.Buffer? buffer; // the partition's records, while this receiver holds it
    private ConsumeResult<byte[], byte[]>? undeadLettered; // read, not decodable, not in the dead letters yet
    private string undeadLetteredError = string.Empty;
    private bool holding;       // reported in the consumer lag
    private readonly ReaderPosition position = new();
    private long lastCommit;    // Stopwatch timestamp of the last commit

    public KafkaQueueReceiver(KafkaLog log, LogReader reader, int queue, LogRecordCodec codec, StreamConsumerLag lag, ILogger logger)
    {
        this.log = log;
        this.reader = reader;
        this.queue = queue;
        this.codec = codec;
        this.lag = lag;
        this.logger = logger;
        sourceNamespace = Encoding.UTF8.GetBytes(reader.SourceNamespace);
        deliveredStream = StreamId.Create(reader.DeliveredNamespace, queue.ToString(CultureInfo.InvariantCulture));
    }

    public Task Initialize(TimeSpan timeout) => Initialize(timeout, CancellationToken.None);

    public async Task Initialize(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        await StartAsync(timeoutSource.Token).ConfigureAwait(false);
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        // Orleans pumps a receiver whose Initialize failed (the brokers were unreachable): it starts here instead.
        var reading = buffer ?? await StartAsync(cancellationToken).ConfigureAwait(false);
        if (undeadLettered is { } waiting && !await TryDeadLetterAsync(waiting).ConfigureAwait(false))
        {
            return [];
        }

        var count = maxCount > 0 ? maxCount : DefaultReadCount;
        var containers = new List<IBatchContainer>();
        long read = position.Read, handed = position.Handed;
        while (containers.Count < count)
        {
            // From what the group's consumer has fetched already: never waits for the brokers.
            if (!reading.TryTake(out var record))
            {
                break;
            }

            var offset = record.Offset.Value + 1;
            if (offset > read + 1)
            {
                // The producer writes consecutive offsets: the ones between were deleted (retention) before this reader came to them.
                LogRecordsLost(reader.ProviderName, queue, read + 1, offset - 1);
                StreamMetrics.RecordsLost(reader.ProviderName, queue, offset - 1 - read);
            }

            read = offset;
            if (!record.Message.Headers.TryGetLastBytes(KafkaLog.NamespaceHeader, out var ns) || !ns.AsSpan().SequenceEqual(sourceNamespace))
            {
                continue;
            }

            LogRecordBody body;
            try
            {
                body = codec.Decode(record.Message.Value ?? []);
            }
#pragma warning disable CA1031 // Whatever a record's payload makes the decoder throw, the record is set aside and the queue goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogDeadLetter(ex, reader.ProviderName, queue, offset);
                StreamMetrics.DeadLettered(reader.ProviderName, queue);
                undeadLettered = record;
                undeadLetteredError = $"{ex.GetType().FullName}: {ex.Message}";
                if (!await TryDeadLetterAsync(record).ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            containers.Add(new LogBatchContainer(deliveredStream, body.Events, offset, offset, body.RequestContext));
            handed = offset;
        }

        position.Advance(read, handed);
        if (containers.Count == 0 && undeadLettered is null && position.AfterSkipping() is { } pastSkipped)
        {
            await CommitAsync(pastSkipped).ConfigureAwait(false);
        }
        else if (containers.Count == 0 && position.Checkpoint > 0 && Stopwatch.GetElapsedTime(lastCommit) >= RecommitPeriod)
        {
            await CommitAsync(position.Checkpoint).ConfigureAwait(false);
        }

        return containers;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    // A record that still waits for the dead letters holds the checkpoint before it.
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken) =>
        position.AfterDelivery(messages, holdSkipped: undeadLettered is not null) is { } target ? CommitAsync(target) : Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (holding)
        {
            holding = false;
            lag.Release(reader, queue);
        }

        if (buffer is { } held)
        {
            buffer = null;
            group?.Unassign(held);
        }

        LogStopped(reader.ProviderName, queue, position.Checkpoint);
        return Task.CompletedTask;
    }

    private async Task<KafkaGroupConsumer.Buffer> StartAsync(CancellationToken cancellationToken)
    {
        await log.OpenAsync(cancellationToken).ConfigureAwait(false);
        var consumer = group ??= log.GroupConsumer(reader.ProviderName);
        var committed = await Task.Run(() => consumer.Checkpoint(queue, log.Options.RequestTimeout), cancellationToken).ConfigureAwait(false);
        position.Start(committed);
        lastCommit = Stopwatch.GetTimestamp();
        buffer = consumer.Assign(queue, committed);
        if (!holding)
        {
            holding = true;
            await lag.HoldAsync(reader, queue).ConfigureAwait(false);
        }

        LogStarted(reader.ProviderName, queue, position.Checkpoint);
        return buffer;
    }

    // Should the dead-letter topic refuse it, the record is kept and tried again before anything after it is read.
    private async Task<bool> TryDeadLetterAsync(ConsumeResult<byte[], byte[]> record)
    {
        try
        {
            await log.DeadLetterAsync(reader.ProviderName, queue, record, undeadLetteredError).ConfigureAwait(false);
            undeadLettered = null;
            return true;
        }
        catch (KafkaException ex)
        {
            LogDeadLetterFailed(ex, reader.ProviderName, queue, record.Offset.Value + 1);
            return false;
        }
    }

    // The group's offset is the next record to read, in Kafka's numbering: the log's offset of the last one delivered.
    private async Task CommitAsync(long offset)
    {
        if (group is not { } committing || buffer is null)
        {
            return;
        }

        try
        {
            await Task.Run(() => committing.Commit(queue, offset)).ConfigureAwait(false);
            position.Checkpointed(offset);
            lastCommit = Stopwatch.GetTimestamp();
        }
        catch (KafkaException ex)
        {
            // Not moved: the next delivery (or the next idle read) commits again.
            LogCommitFailed(ex, reader.ProviderName, queue, offset);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} starts partition {Queue} after its committed offset {Checkpoint}")]
    private partial void LogStarted(string reader, int queue, long checkpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} stops partition {Queue} at committed offset {Checkpoint}")]
    private partial void LogStopped(string reader, int queue, long checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not decode the record at offset {Offset} of partition {Queue}: it goes to the dead letters and is skipped")]
    private partial void LogDeadLetter(Exception exception, string reader, int queue, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reader {Reader} lost records {From} to {To} of partition {Queue}: the topic no longer holds them (deleted by retention before the reader came to them)")]
    private partial void LogRecordsLost(string reader, int queue, long from, long to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not put the record at offset {Offset} of partition {Queue} in the dead letters; trying again before reading on")]
    private partial void LogDeadLetterFailed(Exception exception, string reader, int queue, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not commit offset {Offset} of partition {Queue}; it commits again with the next delivery")]
    private partial void LogCommitFailed(Exception exception, string reader, int queue, long offset);


}
