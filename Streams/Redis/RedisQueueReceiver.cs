using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;
using RedisStreamPosition = StackExchange.Redis.StreamPosition;

namespace ChatCluster.Streams;

/// <summary>
/// Reads one queue of the log for one reader provider, as the consumer of this silo in the reader's
/// consumer group. On start it takes over the entries other consumers (earlier owners of the queue)
/// left pending, hands on its own pending entries, then new ones (XREADGROUP). It hands the records of
/// the source namespace to Orleans' cache on the reader's stream for the queue, skips (and acks) the
/// others, dead-letters (and acks) the ones it cannot decode, and acks what Orleans reports delivered;
/// the checkpoint is the highest offset with nothing unacknowledged at or below it.
/// </summary>
internal sealed partial class RedisQueueReceiver : IQueueAdapterReceiver
{
    private readonly RedisLog log;
    private readonly LogReader reader;
    private readonly int queue;
    private readonly string consumer;
    private readonly LogRecordCodec codec;
    private readonly ILogger logger;
    private readonly RedisKey key;
    private readonly StreamId deliveredStream;
    private readonly Queue<Entry> inFlight = new();           // read, in offset order, until the checkpoint passes them
    private readonly Dictionary<long, Entry> handed = [];      // handed to Orleans' cache, not yet reported delivered
    private RedisValue pendingCursor = "0-0";                  // while re-reading this consumer's pending entries
    private RedisValue lastId = "0-0";                         // the last entry a read took in
    private bool readingPending = true;
    private bool lastReadFull = true;
    private long readOffset;
    private long checkpoint;
    private long lastRead;

    public RedisQueueReceiver(RedisLog log, LogReader reader, int queue, string consumer, LogRecordCodec codec, ILogger logger)
    {
        this.log = log;
        this.reader = reader;
        this.queue = queue;
        this.consumer = consumer;
        this.codec = codec;
        this.logger = logger;
        key = log.StreamKey(queue);
        deliveredStream = StreamId.Create(reader.DeliveredNamespace, queue.ToString(CultureInfo.InvariantCulture));
    }

    public Task Initialize(TimeSpan timeout) => Initialize(timeout, CancellationToken.None);

    public async Task Initialize(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        await log.OpenAsync(timeoutSource.Token).ConfigureAwait(false);
        await log.EnsureGroupAsync(reader.ProviderName, queue).WaitAsync(timeoutSource.Token).ConfigureAwait(false);
        checkpoint = await log.GetCheckpointAsync(reader.ProviderName, queue, timeoutSource.Token).ConfigureAwait(false);
        readOffset = checkpoint;

        // Entries an earlier owner of the queue read but never acked (it died, or let the queue go) are ours now.
        var claimed = 0;
        RedisValue cursor = "0-0";
        var minIdle = (long)log.Options.ClaimIdleTime.TotalMilliseconds;
        do
        {
            var result = await log.Database.StreamAutoClaimIdsOnlyAsync(key, reader.ProviderName, consumer, minIdle, cursor, log.Options.ClaimBatchSize)
                .WaitAsync(timeoutSource.Token).ConfigureAwait(false);
            claimed += result.ClaimedIds.Length;
            cursor = result.NextStartId;
        }
        while (cursor != "0-0" && !cursor.IsNullOrEmpty);

        LogStarted(reader.ProviderName, queue, consumer, checkpoint, claimed);
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        var count = maxCount > 0 ? Math.Min(maxCount, log.Options.ReadBatchSize) : log.Options.ReadBatchSize;

        // Caught up with what this silo appended: ask Redis only every ExternalPollPeriod (for other silos' appends).
        var now = Stopwatch.GetTimestamp();
        if (!readingPending && !lastReadFull && readOffset >= log.KnownEnd(queue) && Stopwatch.GetElapsedTime(lastRead, now) < log.Options.ExternalPollPeriod)
        {
            return [];
        }

        lastRead = now;
        var database = log.Database;
        StreamEntry[] entries = [];
        if (readingPending)
        {
            entries = await database.StreamReadGroupAsync(key, reader.ProviderName, consumer, pendingCursor, count).ConfigureAwait(false);
            if (entries.Length == 0)
            {
                readingPending = false;
            }
            else
            {
                pendingCursor = entries[^1].Id;
            }
        }

        if (!readingPending && entries.Length == 0)
        {
            entries = await database.StreamReadGroupAsync(key, reader.ProviderName, consumer, RedisStreamPosition.NewMessages, count).ConfigureAwait(false);
        }

        lastReadFull = readingPending || entries.Length == count;
        var containers = new List<IBatchContainer>(entries.Length);
        var inFlightBefore = inFlight.Count;
        var readOffsetBefore = readOffset;
        try
        {
            await TakeInAsync(entries, containers).ConfigureAwait(false);
        }
        catch
        {
            // Nothing of this read counts: its entries are in this consumer's pending list, so the next call reads them again.
            ForgetAfter(inFlightBefore);
            readOffset = readOffsetBefore;
            readingPending = true;
            pendingCursor = lastId;
            throw;
        }

        if (entries.Length > 0)
        {
            lastId = entries[^1].Id;
        }

        log.ObserveEnd(queue, readOffset);
        await AdvanceCheckpointAsync().ConfigureAwait(false);
        return containers;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        var delivered = new List<Entry>(messages.Count);
        foreach (var message in messages)
        {
            if (message is LogBatchContainer container && handed.Remove(container.Offset, out var entry))
            {
                delivered.Add(entry);
            }
        }

        if (delivered.Count > 0)
        {
            try
            {
                await log.Database.StreamAcknowledgeAsync(key, reader.ProviderName, [.. delivered.Select(entry => entry.Id)]).ConfigureAwait(false);
            }
            catch
            {
                // Not acked: they stay pending, and hold the checkpoint (a later owner delivers them again).
                foreach (var entry in delivered)
                {
                    handed[entry.Offset] = entry;
                }

                throw;
            }

            foreach (var entry in delivered)
            {
                entry.Done = true;
            }
        }

        await AdvanceCheckpointAsync().ConfigureAwait(false);
    }

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        LogStopped(reader.ProviderName, queue, checkpoint, handed.Count);
        return Task.CompletedTask;
    }

    // Hands on the records of the source namespace; acks at once what no consumer gets (skipped, dead-lettered, deleted).
    private async Task TakeInAsync(StreamEntry[] entries, List<IBatchContainer> containers)
    {
        var done = new List<RedisValue>();
        foreach (var streamEntry in entries)
        {
            if (streamEntry.IsNull || streamEntry.Values.Length == 0)
            {
                // A pending entry that was deleted: nothing to deliver.
                done.Add(streamEntry.Id);
                continue;
            }

            var offsetValue = streamEntry[RedisLog.OffsetField];
            if (!offsetValue.TryParse(out long offset) || offset <= 0)
            {
                await DeadLetterAsync(streamEntry, 0, new InvalidDataException("The entry carries no offset.")).ConfigureAwait(false);
                done.Add(streamEntry.Id);
                continue;
            }

            readOffset = Math.Max(readOffset, offset);
            var entry = new Entry(offset, streamEntry.Id);
            inFlight.Enqueue(entry);
            if (!string.Equals((string?)streamEntry[RedisLog.NamespaceField], reader.SourceNamespace, StringComparison.Ordinal))
            {
                entry.Done = true;
                done.Add(streamEntry.Id);
                continue;
            }

            LogRecordBody body;
            try
            {
                body = codec.Decode((byte[])streamEntry[RedisLog.PayloadField]!);
            }
#pragma warning disable CA1031 // Whatever a record's payload makes the decoder throw, the record is set aside and the queue goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                await DeadLetterAsync(streamEntry, offset, ex).ConfigureAwait(false);
                entry.Done = true;
                done.Add(streamEntry.Id);
                continue;
            }

            containers.Add(new LogBatchContainer(deliveredStream, body.Events, offset, body.RequestContext));
            handed[offset] = entry;
        }

        if (done.Count > 0)
        {
            await log.Database.StreamAcknowledgeAsync(key, reader.ProviderName, [.. done]).ConfigureAwait(false);
        }
    }

    private void ForgetAfter(int count)
    {
        var kept = inFlight.Take(count).ToList();
        foreach (var entry in inFlight.Skip(count))
        {
            handed.Remove(entry.Offset);
        }

        inFlight.Clear();
        foreach (var entry in kept)
        {
            inFlight.Enqueue(entry);
        }
    }

    private async Task AdvanceCheckpointAsync()
    {
        var target = checkpoint;
        while (inFlight.TryPeek(out var entry) && entry.Done)
        {
            inFlight.Dequeue();
            target = Math.Max(target, entry.Offset);
        }

        if (target > checkpoint)
        {
            await log.CheckpointAsync(reader.ProviderName, queue, target).ConfigureAwait(false);
            checkpoint = target;
        }
    }

    private async Task DeadLetterAsync(StreamEntry entry, long offset, Exception error)
    {
        LogDeadLetter(error, reader.ProviderName, queue, offset, entry.Id.ToString());
        StreamMetrics.DeadLettered(reader.ProviderName, queue);
        await log.DeadLetterAsync(reader.ProviderName, queue, entry, $"{error.GetType().FullName}: {error.Message}").ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} starts queue {Queue} as consumer {Consumer} after its checkpoint {Checkpoint}, having taken over {Claimed} pending entries")]
    private partial void LogStarted(string reader, int queue, string consumer, long checkpoint, int claimed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} stops queue {Queue} at checkpoint {Checkpoint} with {Undelivered} entries handed on but not delivered")]
    private partial void LogStopped(string reader, int queue, long checkpoint, int undelivered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not decode the record at offset {Offset} (entry {EntryId}) of queue {Queue}: it is in the dead letters and skipped")]
    private partial void LogDeadLetter(Exception exception, string reader, int queue, long offset, string entryId);

    private sealed class Entry(long offset, RedisValue id)
    {
        public long Offset { get; } = offset;

        public RedisValue Id { get; } = id;

        public bool Done { get; set; }
    }
}
