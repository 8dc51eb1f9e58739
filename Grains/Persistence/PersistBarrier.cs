using System.Globalization;
using ChatCluster.Streams;
using Orleans.Runtime;

namespace ChatCluster.Grains.Persistence;

/// <summary>
/// The read barrier: waits until the persistence group has stored everything published so far to a timeline's
/// log partitions (every partition for a user's timeline, one for a group's), so that the message store holds every acked message of the timeline — also those an activation
/// that crashed or moved had acked. A timeline grain passes it before it loads from the store.
/// </summary>
public sealed class PersistBarrier(IStreamLog log, IGrainFactory grains)
{
    // One wait of the persistence grain; the barrier asks again until its caller gives up.
    private static readonly TimeSpan WaitSlice = TimeSpan.FromSeconds(5);

    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    public Task WaitAsync(string timeline, CancellationToken cancellationToken)
    {
        if (Timeline.TryParse(timeline, out var parsed) && parsed.Kind == TimelineKind.User)
        {
            // A direct message's two copies are one record in the recipient's partition (IUserGrain.AcceptDirect), so the
            // messages a user sent are in every partition.
            return Task.WhenAll(Enumerable.Range(0, log.Queues).Select(queue => WaitForQueueAsync(queue, cancellationToken)));
        }

        return WaitForQueueAsync(log.QueueOf(StreamId.Create(TimelineStreams.Namespace, timeline)), cancellationToken);
    }

    private async Task WaitForQueueAsync(int queue, CancellationToken cancellationToken)
    {
        var end = await log.GetEndAsync(queue, cancellationToken).ConfigureAwait(false);
        if (end == 0 || await log.GetCheckpointAsync(TimelineStreams.PersistProvider, queue, cancellationToken).ConfigureAwait(false) >= end)
        {
            return;
        }

        var persistence = grains.GetGrain<IMessagePersistenceGrain>(queue.ToString(CultureInfo.InvariantCulture));
        while (!await persistence.WaitUntilStored(end, WaitSlice).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
