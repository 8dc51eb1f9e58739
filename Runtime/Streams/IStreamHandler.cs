namespace ChatCluster.Runtime;

/// <summary>
/// Consumes the events of one stream namespace as a member of a named handler group. Every group
/// gets every event at least once, in publish order per stream id, in batches. A batch is
/// acknowledged only when <see cref="HandleAsync"/> returns; if it throws, the batch is retried with
/// back-off and, after the configured attempts, its events go to the group's dead-letter stream.
/// Handlers must therefore be idempotent. The handler is a singleton: it is called concurrently for
/// different partitions, but never twice at once for the same partition. Register one with
/// <c>GrainRuntimeBuilder.AddStreamHandler&lt;THandler, TEvent&gt;(namespace, group)</c>.
/// </summary>
/// <typeparam name="TEvent">The event type, deserialized from the stored JSON.</typeparam>
public interface IStreamHandler<TEvent>
{
    /// <summary>Handles a batch of events (at least one), ordered by position within the partition.</summary>
    Task HandleAsync(IReadOnlyList<StreamEvent<TEvent>> batch, CancellationToken cancellationToken);
}
