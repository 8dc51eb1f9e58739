using ChatCluster.Grains.Timelines;
using ChatCluster.Streams;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Streams;

namespace ChatCluster.Grains.Persistence;

/// <summary>
/// The persistence consumer of one log partition (<see cref="IMessagePersistenceGrain"/>). The <c>persist</c> reader
/// delivers the partition's events in log order and in batches; each batch is one idempotent insert (the store skips
/// (timeline, seq) it has), so a redelivery after a crash changes nothing. A batch is retried until the store takes it:
/// the log keeps the messages meanwhile, and a failed batch must never be skipped. Kept active for the life of the
/// silo (see <see cref="TimelinePartitionConsumer"/>): the barrier relies on what it has stored since the last checkpoint.
/// </summary>
[ImplicitStreamSubscription(TimelineStreams.PersistNamespace)]
[PreferLocalPlacement]
[GrainType("persist")]
public sealed partial class MessagePersistenceGrain(IMessageStore store, IStreamLog log, ILogger<MessagePersistenceGrain> logger)
    : TimelinePartitionConsumer(logger), IMessagePersistenceGrain
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly List<(long Offset, TaskCompletionSource Stored)> waiters = [];

    // The offset of the last record stored by this activation (records at or below the reader's checkpoint are stored too).
    private long stored;

    public override async Task OnNextAsync(IList<SequentialItem<TimelineEvent>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return;
        }

        var messages = new ChatMessage[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            messages[i] = items[i].Item.Message;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.InsertAsync(messages, CancellationToken.None);
                break;
            }
            catch (Exception ex) when (ex is not InvalidDataException and not ArgumentException)
            {
                // The database is down or failing: wait and try the same batch again, for as long as it takes.
                LogStoreFailed(logger, ex, this.GetPrimaryKeyString(), messages.Length, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(attempt, 10)))));
            }
        }

        stored = Math.Max(stored, ((LogSequenceToken)items[^1].Token).Offset);
        Release();
    }

    public async Task<bool> WaitUntilStored(long offset, TimeSpan maxWait)
    {
        if (stored >= offset)
        {
            return true;
        }

        // This activation may be new (after a restart) and not yet have seen the records up to the reader's checkpoint.
        var queue = int.Parse(this.GetPrimaryKeyString(), System.Globalization.CultureInfo.InvariantCulture);
        stored = Math.Max(stored, await log.GetCheckpointAsync(TimelineStreams.PersistProvider, queue, CancellationToken.None));
        if (stored >= offset)
        {
            return true;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiters.Add((offset, waiter));
        var done = await Task.WhenAny(waiter.Task, Task.Delay(maxWait));
        waiters.Remove((offset, waiter));
        return done == waiter.Task;
    }

    private void Release()
    {
        foreach (var (offset, waiter) in waiters)
        {
            if (offset <= stored)
            {
                waiter.TrySetResult();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: storing {Count} messages failed (attempt {Attempt}); retrying")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string partition, int count, int attempt);
}
