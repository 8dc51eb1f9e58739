using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;
using RedisStreamPosition = StackExchange.Redis.StreamPosition;

namespace ChatCluster.Streams;

/// <summary>
/// Reads one queue of the log for one reader provider, as the consumer of this silo in the reader's consumer group.
/// Only the consumer that holds the queue (<see cref="RedisLog.HoldQueueAsync"/>) reads new entries: on start the
/// receiver waits until the earlier owner let go or its hold lapsed (at most <see cref="RedisLogOptions.TakeoverTimeout"/>),
/// takes over every entry the others read and did not acknowledge, hands on its own pending entries, then new ones
/// (XREADGROUP); it renews its hold before it reads, stops reading if another consumer took the queue, and lets go on
/// shutdown. While it runs it keeps taking over what other consumers leave pending for <see cref="RedisLogOptions.ClaimIdleTime"/>:
/// an earlier owner that read on past a forced takeover would otherwise leave what it read and never delivered waiting for ever.
/// It hands the records of the source namespace
/// to Orleans' cache on the reader's stream for the queue, skips (and acks) the others, dead-letters (and acks) the ones
/// it cannot decode, and acks what Orleans reports delivered. The checkpoint is computed by Redis from the group's pending
/// entries (<see cref="RedisLog.AcknowledgeAsync"/>), so it never passes an entry some consumer has not acknowledged.
/// A command that failed may have run in Redis all the same (Redis stopping runs what it has read and sends no reply): after
/// a failed read the receiver reads its own pending entries again before anything new, and a failed acknowledgement is
/// sent again with the next one.
/// </summary>
internal sealed partial class RedisQueueReceiver : IQueueAdapterReceiver
{
    private readonly RedisLog log;
    private readonly LogReader reader;
    private readonly int queue;
    private readonly string consumer;
    private readonly LogRecordCodec codec;
    private readonly StreamConsumerLag lag;
    private readonly ILogger logger;
    private readonly RedisKey key;
    private readonly StreamId deliveredStream;
    private readonly RedisValue sourceNamespace;  // as bytes, as entries carry it
    private readonly Dictionary<long, RedisValue> handed = [];  // offset -> entry id: handed to Orleans' cache, not yet reported delivered
    private readonly Dictionary<long, RedisValue> unacknowledged = [];  // offset -> entry id: reported delivered, the XACK failed
    private RedisValue pendingCursor = "0-0";                  // while re-reading this consumer's pending entries
    private bool initialized;
    private bool takenOver;
    private long started;
    private bool holding;
    private bool readingPending = true;
    private bool lastReadFull = true;
    private long readOffset;
    private long checkpoint;
    private long lastRead;
    private long lastClaim;
    private long handedOrder;  // the order of the last record handed to Orleans' cache (see LogSequenceToken)
    private long ownPending;                                   // this consumer's pending entries, as the last claim saw them
    private long held;                                         // when the last hold that succeeded was asked for

    public RedisQueueReceiver(RedisLog log, LogReader reader, int queue, string consumer, LogRecordCodec codec, StreamConsumerLag lag, ILogger logger)
    {
        this.log = log;
        this.reader = reader;
        this.queue = queue;
        this.consumer = consumer;
        this.codec = codec;
        this.lag = lag;
        this.logger = logger;
        key = log.StreamKey(queue);
        deliveredStream = StreamId.Create(reader.DeliveredNamespace, queue.ToString(CultureInfo.InvariantCulture));
        sourceNamespace = Encoding.UTF8.GetBytes(reader.SourceNamespace);
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
        if (!initialized)
        {
            // Orleans pumps a receiver whose Initialize failed (Redis was unreachable): it starts here instead.
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }

        var count = maxCount > 0 ? Math.Min(maxCount, log.Options.ReadBatchSize) : log.Options.ReadBatchSize;
        var now = Stopwatch.GetTimestamp();
        if (!takenOver && !await TakeOverAsync(now, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        if (Stopwatch.GetElapsedTime(held, now) >= log.Options.QueueHoldTime / 4 && !await RenewHoldAsync(now, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        var containers = new List<IBatchContainer>();
        var handedNow = new List<long>();
        var readOffsetBefore = readOffset;
        try
        {
            if (unacknowledged.Count > 0)
            {
                await AcknowledgeAsync([]).ConfigureAwait(false);
            }

            StreamEntry[] entries = [];
            if (Stopwatch.GetElapsedTime(lastClaim, now) >= log.Options.ClaimPeriod)
            {
                lastClaim = now;
                entries = [.. await ClaimFromOthersAsync(log.Options.ClaimIdleTime, withEntries: true, cancellationToken).ConfigureAwait(false)];
                if (!readingPending && ownPending > handed.Count)
                {
                    // Pending for this consumer, yet never handed on (a read whose reply was lost and that did not fail
                    // here, which should not happen): read the pending list again, or they would wait there for ever.
                    LogOwnPendingAgain(reader.ProviderName, queue, ownPending - handed.Count);
                    readingPending = true;
                    pendingCursor = "0-0";
                }
            }

            // Caught up with what this silo appended: ask Redis only every ExternalPollPeriod (for other silos' appends).
            if (entries.Length == 0 && !readingPending && !lastReadFull && readOffset >= log.KnownEnd(queue)
                && Stopwatch.GetElapsedTime(lastRead, now) < log.Options.ExternalPollPeriod)
            {
                return [];
            }

            var database = log.Database;
            var fromPending = false;
            if (entries.Length == 0)
            {
                lastRead = now;
                if (readingPending)
                {
                    entries = await database.StreamReadGroupAsync(key, reader.ProviderName, consumer, pendingCursor, count).ConfigureAwait(false);
                    readingPending = entries.Length > 0;
                    fromPending = readingPending;
                }

                if (!readingPending && entries.Length == 0)
                {
                    entries = await database.StreamReadGroupAsync(key, reader.ProviderName, consumer, RedisStreamPosition.NewMessages, count).ConfigureAwait(false);
                }

                lastReadFull = readingPending || entries.Length == count;
            }

            await TakeInAsync(entries, containers, handedNow).ConfigureAwait(false);
            if (fromPending)
            {
                pendingCursor = entries[^1].Id;
            }
        }
        catch
        {
            // Nothing of this read counts. A command that failed here may still have run in Redis, its reply lost (Redis
            // restarting answers nothing it ran last): an XREADGROUP or XCLAIM put its entries in this consumer's pending
            // list, and Redis counts them as read, so reading new entries would never hand them on. So the next call reads
            // this consumer's pending list again from the start, before anything new (in the log's order); what is
            // already in Orleans' cache is skipped there.
            foreach (var offset in handedNow)
            {
                handed.Remove(offset);
            }

            readOffset = readOffsetBefore;
            readingPending = true;
            pendingCursor = "0-0";
            throw;
        }

        log.ObserveEnd(queue, readOffset);
        return containers;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        var delivered = new List<(long Offset, RedisValue Id)>(messages.Count);
        foreach (var message in messages)
        {
            if (message is LogBatchContainer container && handed.Remove(container.Offset, out var id))
            {
                delivered.Add((container.Offset, id));
            }
        }

        if (delivered.Count > 0 || unacknowledged.Count > 0)
        {
            await AcknowledgeAsync(delivered).ConfigureAwait(false);
        }
    }

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public async Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (holding)
        {
            holding = false;
            lag.Release(reader, queue);
        }

        if (takenOver)
        {
            // Let go, so that the next owner reads at once rather than when the hold lapses.
            takenOver = false;
            try
            {
                await log.ReleaseQueueAsync(reader.ProviderName, queue, consumer).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The log closed first: the silo stops without stopping its streams (killed); the hold lapses.
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
            {
                LogReleaseFailed(ex, reader.ProviderName, queue);
            }
        }

        LogStopped(reader.ProviderName, queue, checkpoint, handed.Count);
    }

    // Acknowledges what Orleans reported delivered, with what an earlier call failed to. Orleans ignores a failed
    // MessagesDeliveredAsync and never reports those messages again: kept here, they are acknowledged by the next call
    // (or the next read), so that they do not stay pending and hold the checkpoint and the trim for ever.
    private async Task AcknowledgeAsync(List<(long Offset, RedisValue Id)> delivered)
    {
        foreach (var (offset, id) in delivered)
        {
            unacknowledged[offset] = id;
        }

        checkpoint = await log.AcknowledgeAsync(reader.ProviderName, queue, [.. unacknowledged.Values]).ConfigureAwait(false);
        unacknowledged.Clear();
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await log.OpenAsync(cancellationToken).ConfigureAwait(false);
        await log.EnsureGroupAsync(reader.ProviderName, queue).WaitAsync(cancellationToken).ConfigureAwait(false);
        checkpoint = await log.AcknowledgeAsync(reader.ProviderName, queue, []).WaitAsync(cancellationToken).ConfigureAwait(false);
        readOffset = Math.Max(readOffset, checkpoint);
        started = Stopwatch.GetTimestamp();
        initialized = true;
        if (!holding)
        {
            holding = true;
            await lag.HoldAsync(reader, queue).ConfigureAwait(false);
        }

        LogStarted(reader.ProviderName, queue, consumer, checkpoint);
    }

    // The queue is ours once we hold it: the earlier owner let go, or its hold lapsed, or after TakeoverTimeout we take it
    // all the same. Then what the others read and did not acknowledge is taken over however recently they read it, and
    // reading starts with this consumer's pending entries. Asked every ExternalPollPeriod meanwhile.
    private async Task<bool> TakeOverAsync(long now, CancellationToken cancellationToken)
    {
        if (Stopwatch.GetElapsedTime(lastRead, now) < log.Options.ExternalPollPeriod)
        {
            return false;
        }

        lastRead = now;
        var waited = Stopwatch.GetElapsedTime(started, now);
        var asked = Stopwatch.GetTimestamp();
        if (!await log.HoldQueueAsync(reader.ProviderName, queue, consumer, force: waited >= log.Options.TakeoverTimeout).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        held = asked;
        var claimed = await ClaimFromOthersAsync(TimeSpan.Zero, withEntries: false, cancellationToken).ConfigureAwait(false);
        readingPending = true;
        pendingCursor = "0-0";
        lastClaim = now;
        takenOver = true;
        LogTookOver(reader.ProviderName, queue, claimed.Count, waited.TotalMilliseconds);
        return true;
    }

    // Renews the hold before a read. Lost (another consumer took the queue after TakeoverTimeout): read nothing new until
    // it is ours again; what is in Orleans' cache is still delivered and acknowledged.
    private async Task<bool> RenewHoldAsync(long now, CancellationToken cancellationToken)
    {
        var asked = Stopwatch.GetTimestamp();
        if (await log.HoldQueueAsync(reader.ProviderName, queue, consumer, force: false).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            held = asked;
            return true;
        }

        takenOver = false;
        started = now;
        LogLostQueue(reader.ProviderName, queue);
        return false;
    }

    // Takes over the entries other consumers of the group have left pending at least minIdle (XCLAIM re-checks the idle
    // time, so an entry its consumer just touched stays with it). With withEntries, returns them (a deleted one is dropped
    // from the pending list by Redis and not returned); otherwise they are read with this consumer's pending entries.
    private async Task<List<StreamEntry>> ClaimFromOthersAsync(TimeSpan minIdle, bool withEntries, CancellationToken cancellationToken)
    {
        var database = log.Database;
        var group = reader.ProviderName;
        var idleMs = (long)minIdle.TotalMilliseconds;
        var batch = log.Options.ClaimBatchSize;
        var claimed = new List<StreamEntry>();
        var consumers = await database.StreamConsumerInfoAsync(key, group).WaitAsync(cancellationToken).ConfigureAwait(false);
        ownPending = 0;
        foreach (var other in consumers)
        {
            if (string.Equals(other.Name, consumer, StringComparison.Ordinal))
            {
                ownPending = other.PendingMessageCount;
                continue;
            }

            if (other.PendingMessageCount == 0)
            {
                continue;
            }

            RedisValue from = "-";
            while (true)
            {
                var pending = await database.StreamPendingMessagesAsync(key, group, batch, other.Name, from, "+", idleMs > 0 ? idleMs : null)
                    .WaitAsync(cancellationToken).ConfigureAwait(false);
                if (pending.Length == 0)
                {
                    break;
                }

                RedisValue[] ids = [.. pending.Select(entry => entry.MessageId)];
                if (withEntries)
                {
                    claimed.AddRange(await database.StreamClaimAsync(key, group, consumer, idleMs, ids).WaitAsync(cancellationToken).ConfigureAwait(false));
                }
                else
                {
                    var taken = await database.StreamClaimIdsOnlyAsync(key, group, consumer, idleMs, ids).WaitAsync(cancellationToken).ConfigureAwait(false);
                    claimed.AddRange(taken.Select(id => new StreamEntry(id, [])));
                }

                if (pending.Length < batch)
                {
                    break;
                }

                from = $"({pending[^1].MessageId}";
            }
        }

        if (withEntries && claimed.Count > 0)
        {
            claimed.Sort((a, b) => RedisLog.EntryId.Parse(a.Id).CompareTo(RedisLog.EntryId.Parse(b.Id)));
            LogClaimed(reader.ProviderName, queue, claimed.Count);
        }

        return claimed;
    }

    // Hands on the records of the source namespace; acks at once what no consumer gets (skipped, dead-lettered, deleted).
    private async Task TakeInAsync(StreamEntry[] entries, List<IBatchContainer> containers, List<long> handedNow)
    {
        containers.EnsureCapacity(entries.Length);
        handedNow.EnsureCapacity(entries.Length);
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
            if (handed.ContainsKey(offset))
            {
                // Already in Orleans' cache (another consumer took it meanwhile and this one took it back): delivered once from there.
                continue;
            }

            if (streamEntry[RedisLog.NamespaceField] != sourceNamespace)
            {
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
                done.Add(streamEntry.Id);
                continue;
            }

            // A record taken over after newer ones gets an order past them, or Orleans' cache would skip it.
            handedOrder = Math.Max(offset, handedOrder + 1);
            containers.Add(new LogBatchContainer(deliveredStream, body.Events, offset, handedOrder, body.RequestContext));
            handed[offset] = streamEntry.Id;
            handedNow.Add(offset);
        }

        if (done.Count > 0)
        {
            checkpoint = await log.AcknowledgeAsync(reader.ProviderName, queue, done).ConfigureAwait(false);
        }
    }

    private async Task DeadLetterAsync(StreamEntry entry, long offset, Exception error)
    {
        LogDeadLetter(error, reader.ProviderName, queue, offset, entry.Id.ToString());
        StreamMetrics.DeadLettered(reader.ProviderName, queue);
        await log.DeadLetterAsync(reader.ProviderName, queue, entry, $"{error.GetType().FullName}: {error.Message}").ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} starts queue {Queue} as consumer {Consumer} at checkpoint {Checkpoint}")]
    private partial void LogStarted(string reader, int queue, string consumer, long checkpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} reads queue {Queue} after waiting {WaitedMs} ms for its earlier owner to let go, having taken over {Claimed} entries other consumers left pending")]
    private partial void LogTookOver(string reader, int queue, int claimed, double waitedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} lost queue {Queue} to another consumer that took it after waiting for it; it reads nothing new until the queue is its own again")]
    private partial void LogLostQueue(string reader, int queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not let go of queue {Queue} as it stopped; its next owner reads once the hold lapses")]
    private partial void LogReleaseFailed(Exception exception, string reader, int queue);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reader {Reader} took over {Claimed} entries of queue {Queue} that another consumer left pending")]
    private partial void LogClaimed(string reader, int queue, int claimed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} found {Count} entries of queue {Queue} pending for this consumer that it never handed on; reading its pending entries again")]
    private partial void LogOwnPendingAgain(string reader, int queue, long count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reader {Reader} stops queue {Queue} at checkpoint {Checkpoint} with {Undelivered} entries handed on but not delivered")]
    private partial void LogStopped(string reader, int queue, long checkpoint, int undelivered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reader {Reader} could not decode the record at offset {Offset} (entry {EntryId}) of queue {Queue}: it is in the dead letters and skipped")]
    private partial void LogDeadLetter(Exception exception, string reader, int queue, long offset, string entryId);
}
