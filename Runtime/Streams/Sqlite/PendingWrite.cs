namespace ChatCluster.Runtime.Streams.Sqlite;

/// <summary>
/// One append or checkpoint waiting for the writer's next transaction. It is also the task its
/// caller awaits (one object per write instead of two).
/// </summary>
internal sealed class PendingWrite : TaskCompletionSource<StreamPosition>
{
    private PendingWrite(string streamNamespace, int partition, CancellationToken cancellationToken)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Namespace = streamNamespace;
        Partition = partition;
        CancellationToken = cancellationToken;
    }

    public string Namespace { get; }

    public int Partition { get; }

    /// <summary>Until the writer takes the write; after that it completes regardless.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The appended event's stream key; null for a checkpoint.</summary>
    public string? Key { get; private init; }

    public byte[]? Payload { get; private init; }

    /// <summary>The handler group whose checkpoint moves; null for an append.</summary>
    public string? Group { get; private init; }

    /// <summary>The checkpoint's position; for an append, the position the writer assigned.</summary>
    public StreamPosition Position { get; set; }

    public static PendingWrite Append(StreamId stream, int partition, byte[] payload, CancellationToken cancellationToken) =>
        new(stream.Namespace, partition, cancellationToken) { Key = stream.Key, Payload = payload };

    public static PendingWrite Checkpoint(CheckpointKey key, StreamPosition position, CancellationToken cancellationToken) =>
        new(key.Namespace, key.Partition, cancellationToken) { Group = key.Group, Position = position };
}
