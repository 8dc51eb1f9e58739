using System.Text.Json;
using ChatCluster.Runtime.Streams;

namespace ChatCluster.Runtime;

/// <summary>
/// Publishes events to streams. Get it from dependency injection (a singleton, available once a
/// stream provider is configured, e.g. with <c>AddSqliteStreams</c>). Events are stored as JSON
/// (System.Text.Json, web defaults: camelCase). To wait until a handler group has handled what
/// you published, use <see cref="StreamBarrier"/>.
/// </summary>
public sealed class StreamPublisher
{
    private readonly IStreamProvider provider;

    /// <param name="provider">The stream provider events are appended to.</param>
    public StreamPublisher(IStreamProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        this.provider = provider;
    }

    /// <summary>
    /// Appends <paramref name="event"/> to <paramref name="stream"/>. When the task completes the event
    /// is durable and will be delivered to every handler group of the stream's namespace, after the
    /// events published to the same stream id before it.
    /// </summary>
    /// <remarks>
    /// Called from a grain in a cluster, the append is fenced by the grain's activation: once the membership table
    /// has the silo incarnation it activated under dead, a shared log (Redis Streams) refuses it with
    /// <see cref="StorageUnavailableException"/>, so a grain left running on a silo the cluster gave up on
    /// never publishes beside its new activation.
    /// </remarks>
    /// <returns>The event's position in its partition.</returns>
    /// <exception cref="ArgumentException">The stream's namespace or key is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="event"/> is null.</exception>
    public Task<StreamPosition> PublishAsync<TEvent>(StreamId stream, TEvent @event, CancellationToken cancellationToken = default)
    {
        StreamIds.Validate(stream, nameof(stream));
        if (@event is null)
        {
            throw new ArgumentNullException(nameof(@event), $"A null event cannot be published to {stream}.");
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(@event, StreamJson.Options);
        // Published from grain code: on behalf of the silo incarnation the grain activated under, so that a log the
        // silos share refuses it if that incarnation was declared dead meanwhile.
        var writer = (SynchronizationContext.Current as Activations.ActivationSynchronizationContext)?.Activation.Incarnation;
        return provider.AppendAsync(stream, payload, writer, cancellationToken);
    }
}
