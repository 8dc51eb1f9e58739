using ChatCluster.Runtime.Streams;

namespace ChatCluster.Runtime;

/// <summary>
/// A read barrier, for reading your own writes: waits until a handler group has handled what was
/// published before. E.g. a grain publishes a message, then waits for the group that persists
/// messages before it answers a query from the store. Get it from dependency injection (a
/// singleton, available once a stream provider is configured).
/// </summary>
public sealed class StreamBarrier
{
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(20);
    private readonly IStreamProvider provider;

    /// <param name="provider">The stream provider the events were published to.</param>
    public StreamBarrier(IStreamProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        this.provider = provider;
    }

    /// <summary>
    /// Completes once <paramref name="handlerGroup"/> has handled (or dead-lettered) every event
    /// published to <paramref name="stream"/>'s partition before this call, so what its handler wrote
    /// is visible. It takes the partition's end now, then polls the group's checkpoint (every 1 ms
    /// at first, backing off to 20 ms). If no consumer of the group runs anywhere it waits until
    /// <paramref name="cancellationToken"/> is canceled: pass a token with a timeout.
    /// </summary>
    /// <exception cref="ArgumentException">The group, or the stream's namespace or key, is empty.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled first.</exception>
    public async Task WaitHandledAsync(string handlerGroup, StreamId stream, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.Validate(stream, nameof(stream));
        var partition = stream.PartitionOf(provider.Partitions);
        var end = await provider.GetEndAsync(stream.Namespace, partition, cancellationToken);
        // Short polls first: a handler that keeps up acknowledges within a millisecond or two.
        var delay = TimeSpan.FromMilliseconds(1);
        while (await provider.GetAcknowledgedAsync(handlerGroup, stream.Namespace, partition, cancellationToken) < end)
        {
            await Task.Delay(delay, cancellationToken);
            delay = delay * 2 < MaxPoll ? delay * 2 : MaxPoll;
        }
    }
}
