namespace ChatCluster.Runtime;

/// <summary>
/// A durable, partitioned log: the seam between grains that publish and handlers that consume
/// (memory and SQLite now; Redis Streams and Kafka behind the same interface). A provider stores
/// and hands out events; retries, back-off, dead-lettering and handler dispatch are the runtime's
/// (<c>PartitionConsumer</c>) and are the same for every provider.
/// </summary>
public interface IStreamProvider
{
    /// <summary>Number of partitions of every namespace.</summary>
    int Partitions { get; }

    /// <summary>
    /// True when every silo of a cluster reads this same log (Redis Streams, Kafka): the silos then divide its
    /// partitions, each consumed by one silo at a time. False (the default) for a log of this process alone
    /// (memory, SQLite), whose partitions this silo consumes itself.
    /// </summary>
    bool IsShared => false;

    /// <summary>Creates what the provider needs (tables, streams); safe to call from several processes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Appends an event. When the task completes the event is durable (it survives a crash of this process).</summary>
    Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// Appends an event on behalf of <paramref name="writer"/>, the silo incarnation (<c>host:port@epoch</c>) under which
    /// the publishing grain activated. A log the silos share refuses the append, in the same atomic step, once the
    /// membership table has that incarnation dead or gone: an activation left behind on a silo that was declared dead
    /// (paused, cut off) cannot add to the log after its grain activated elsewhere. A log of one process has no such
    /// peers and ignores the writer (the default).
    /// </summary>
    /// <exception cref="StorageUnavailableException">The append failed, or the writer is fenced off.</exception>
    Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, string? writer, CancellationToken cancellationToken) =>
        AppendAsync(stream, payload, cancellationToken);

    /// <summary>Opens the reader of one partition of a namespace for one handler group.</summary>
    IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition);

    /// <summary>
    /// Opens the reader of one partition for one handler group on behalf of <paramref name="owner"/>, the silo
    /// incarnation (<c>host:port@epoch</c>) that owns the partition now. A log the silos share refuses the reader's
    /// acknowledgements once the membership table has that incarnation dead or gone, so a partition is never
    /// checkpointed by an owner the cluster gave up on beside its new one. A log of one process ignores the owner (the default).
    /// </summary>
    IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition, string? owner) =>
        OpenReader(handlerGroup, streamNamespace, partition);

    /// <summary>The position of the last event appended to the partition so far (<see cref="StreamPosition.Start"/> if none).</summary>
    Task<StreamPosition> GetEndAsync(string streamNamespace, int partition, CancellationToken cancellationToken);

    /// <summary>The last position the handler group acknowledged in the partition (<see cref="StreamPosition.Start"/> if none).</summary>
    Task<StreamPosition> GetAcknowledgedAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken);

    /// <summary>
    /// How many events of the partition the handler group has not acknowledged yet (its consumer lag). The default
    /// suits providers whose positions are offsets 1, 2, 3… per partition: the end's offset minus the acknowledged one.
    /// </summary>
    async Task<long> GetLagAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        var end = await GetEndAsync(streamNamespace, partition, cancellationToken).ConfigureAwait(false);
        var acknowledged = await GetAcknowledgedAsync(handlerGroup, streamNamespace, partition, cancellationToken).ConfigureAwait(false);
        return Math.Max(0, end.Low - acknowledged.Low);
    }
}
