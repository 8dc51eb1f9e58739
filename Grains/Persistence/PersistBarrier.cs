using System.Globalization;
using ChatCluster.Streams;
using Orleans.Runtime;

namespace ChatCluster.Grains.Persistence;

/// <summary>
/// The read barrier: waits until the persistence group has stored everything published so far to a timeline's
/// log partition, so that the message store holds every acked message of the timeline — also those an activation
/// that crashed or moved had acked. A timeline grain passes it before it loads from the store.
/// </summary>
public sealed class PersistBarrier(IStreamLog log, IGrainFactory grains)
{
    // One wait of the persistence grain; the barrier asks again until its caller gives up.
    private static readonly TimeSpan WaitSlice = TimeSpan.FromSeconds(5);

    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    public async Task WaitAsync(string timeline, CancellationToken cancellationToken)
    {
        var queue = log.QueueOf(StreamId.Create(TimelineStreams.Namespace, timeline));
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
