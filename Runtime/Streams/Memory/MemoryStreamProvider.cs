using System.Collections.Concurrent;

namespace ChatCluster.Runtime.Streams.Memory;

/// <summary>
/// Streams in memory, for tests and throwaway runs: events and checkpoints last as long as this
/// object (consumers may stop and start again in the process; a process restart loses everything).
/// Readers are woken as soon as an event is appended.
/// </summary>
public sealed class MemoryStreamProvider : IStreamProvider
{
    private readonly ConcurrentDictionary<string, MemoryPartition[]> namespaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<CheckpointKey, StreamPosition> checkpoints = new();

    /// <param name="partitions">Partitions of every namespace (1 to 1024).</param>
    public MemoryStreamProvider(int partitions = 8)
    {
        StreamIds.ValidatePartitionCount(partitions);
        Partitions = partitions;
    }

    /// <inheritdoc />
    public int Partitions { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        StreamIds.Validate(stream, nameof(stream));
        cancellationToken.ThrowIfCancellationRequested();
        // A copy: the caller may reuse its buffer once the append completed.
        var position = PartitionsOf(stream.Namespace)[stream.PartitionOf(Partitions)].Append(stream, payload.ToArray());
        return Task.FromResult(position);
    }

    /// <inheritdoc />
    public IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        return new MemoryPartitionReader(this, PartitionsOf(streamNamespace)[partition], new CheckpointKey(handlerGroup, streamNamespace, partition));
    }

    /// <inheritdoc />
    public Task<StreamPosition> GetEndAsync(string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        return Task.FromResult(PartitionsOf(streamNamespace)[partition].End);
    }

    /// <inheritdoc />
    public Task<StreamPosition> GetAcknowledgedAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        return Task.FromResult(GetCheckpoint(new CheckpointKey(handlerGroup, streamNamespace, partition)));
    }

    /// <inheritdoc />
    public override string ToString() => $"memory, {Partitions} partitions";

    internal StreamPosition GetCheckpoint(CheckpointKey key) => checkpoints.GetValueOrDefault(key, StreamPosition.Start);

    /// <summary>Moves the checkpoint forward only: a late acknowledgement never undoes a later one.</summary>
    internal void SetCheckpoint(CheckpointKey key, StreamPosition position) =>
        checkpoints.AddOrUpdate(key, position, (_, old) => position > old ? position : old);

    private MemoryPartition[] PartitionsOf(string streamNamespace) =>
        namespaces.GetOrAdd(streamNamespace, static (_, count) => [.. Enumerable.Range(0, count).Select(_ => new MemoryPartition())], Partitions);
}
