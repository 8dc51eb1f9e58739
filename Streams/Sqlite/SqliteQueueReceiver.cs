using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// Reads one queue of the log for one reader provider: from the reader's checkpoint, out of the
/// queue's in-memory tail while it keeps up and out of the file otherwise. It hands the records of
/// the source namespace to Orleans' cache on the reader's stream for the queue, skips the others,
/// dead-letters the ones it cannot decode, and checkpoints what Orleans reports delivered.
/// </summary>
internal sealed partial class SqliteQueueReceiver : IQueueAdapterReceiver, IDisposable
{
    // When Orleans leaves the count open (no cache), read at most this many records per call.
    private const int DefaultReadCount = 1024;

    private readonly SqliteLog log;
    private readonly LogReader reader;
    private readonly int queue;
    private readonly LogRecordCodec codec;
    private readonly ILogger logger;
    private readonly byte[] sourceNamespace;
    private readonly StreamId deliveredStream;
    private readonly QueueTail tail;
    private readonly SqliteRecordReader file;
    private readonly StreamConsumerLag lag;
    private bool holding;       // reported in the consumer lag
    private readonly ReaderPosition position = new();
    private bool fileHasMore;   // the last read from the file was full
    private long lastFileRead;  // Stopwatch timestamp of the last read from the file
    private long externalCommitsRead = -1; // SqliteLog.ExternalCommits when the file was last read

    public SqliteQueueReceiver(SqliteLog log, LogReader reader, int queue, LogRecordCodec codec, StreamConsumerLag lag, ILogger logger)
    {
        this.log = log;
        this.lag = lag;
        this.reader = reader;
        this.queue = queue;
        this.codec = codec;
        this.logger = logger;
        sourceNamespace = Encoding.UTF8.GetBytes(reader.SourceNamespace);
        deliveredStream = StreamId.Create(reader.DeliveredNamespace, queue.ToString(CultureInfo.InvariantCulture));
        tail = log.TailOf(queue);
        file = new SqliteRecordReader(log.ConnectionString, queue);
    }

    public Task Initialize(TimeSpan timeout) => Initialize(timeout, CancellationToken.None);

    public async Task Initialize(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        await log.OpenAsync(timeoutSource.Token).ConfigureAwait(false);
        position.Start(await log.GetCheckpointAsync(reader.ProviderName, queue, timeoutSource.Token).ConfigureAwait(false));
        fileHasMore = true;
        if (!holding)
        {
            holding = true;
            await lag.HoldAsync(reader, queue).ConfigureAwait(false);
        }

        LogStarted(reader.ProviderName, queue, position.Checkpoint);
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        var count = maxCount > 0 ? maxCount : DefaultReadCount;
        var records = Read(count);
        var containers = new List<IBatchContainer>(records.Count);
        long read = position.Read, handed = position.Handed;
        foreach (var record in records)
        {
            read = record.Offset;
            if (!record.Namespace.AsSpan().SequenceEqual(sourceNamespace))
            {
                continue;
            }

            LogRecordBody body;
            try
            {
                // Appended in this process: the events as published (immutable), shared by every reader.
                body = record.Body ?? codec.Decode(record.Payload);
            }
#pragma warning disable CA1031 // Whatever a record's payload makes the decoder throw, the record is set aside and the queue goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // Should this write fail, nothing moved: the next call reads these records again.
                await DeadLetterAsync(record, ex).ConfigureAwait(false);
                continue;
            }

            containers.Add(new LogBatchContainer(deliveredStream, body.Events, record.Offset, record.Offset, body.RequestContext));
            handed = record.Offset;
        }

        position.Advance(read, handed);
        if (containers.Count == 0 && position.AfterSkipping() is { } pastSkipped)
        {
            await CheckpointAsync(pastSkipped).ConfigureAwait(false);
        }

        return containers;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken) =>
        position.AfterDelivery(messages) is { } target ? CheckpointAsync(target) : Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (holding)
        {
            holding = false;
            lag.Release(reader, queue);
        }

        Dispose();
        LogStopped(reader.ProviderName, queue, position.Checkpoint);
        return Task.CompletedTask;
    }

    public void Dispose() => file.Dispose();

    private List<LogRecord> Read(int count)
    {
        if (tail.TryRead(position.Read, count) is { } fromTail)
        {
            return fromTail;
        }

        // Not in the tail: read the file when it holds more than we read (we are behind, or another writer
        // appended). Otherwise look at it for other writers' records, only once the writer has seen one commit, and at
        // most every ExternalPollPeriod: each read of a file that changed empties the connection's page cache.
        var now = Stopwatch.GetTimestamp();
        var externalCommits = log.ExternalCommits;
        if (!fileHasMore && position.Read >= log.KnownEnd(queue)
            && (externalCommits == externalCommitsRead || Stopwatch.GetElapsedTime(lastFileRead, now) < log.ExternalPollPeriod))
        {
            return [];
        }

        lastFileRead = now;
        externalCommitsRead = externalCommits;
        var records = file.ReadAfter(position.Read, count);
        fileHasMore = records.Count == count;
        if (records.Count > 0)
        {
            log.ObserveEnd(queue, records[^1].Offset);
            StreamMetrics.ReadFromFile(reader.ProviderName, records.Count);
        }

        return records;
    }

    private async Task CheckpointAsync(long offset)
    {
        await log.CheckpointAsync(reader.ProviderName, queue, offset).ConfigureAwait(false);
        position.Checkpointed(offset);
    }

    private async Task DeadLetterAsync(LogRecord record, Exception error)
    {
        LogDeadLetter(error, reader.ProviderName, queue, record.Offset);
        StreamMetrics.DeadLettered(reader.ProviderName, queue);
        await log.DeadLetterAsync(reader.ProviderName, queue, record, $"{error.GetType().FullName}: {error.Message}").ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} starts queue {Queue} after its checkpoint {Checkpoint}")]
    private partial void LogStarted(string reader, int queue, long checkpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} stops queue {Queue} at checkpoint {Checkpoint}")]
    private partial void LogStopped(string reader, int queue, long checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not decode the record at offset {Offset} of queue {Queue}: it is in the dead letters and skipped")]
    private partial void LogDeadLetter(Exception exception, string reader, int queue, long offset);
}
