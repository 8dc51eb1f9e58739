namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>One append waiting for the <see cref="RedisStreamWriter"/>'s next batch; also the task its caller awaits.</summary>
internal sealed class RedisPendingAppend(StreamId stream, string streamKey, ReadOnlyMemory<byte> payload, string? writer, CancellationToken cancellationToken)
    : TaskCompletionSource<StreamPosition>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public StreamId Stream { get; } = stream;

    /// <summary>The Redis key of the stream id's partition.</summary>
    public string StreamKey { get; } = streamKey;

    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>The silo incarnation the append is made for (checked against the membership table), or null: unchecked.</summary>
    public string? Writer { get; } = writer;

    /// <summary>Until the writer sends the append; after that it completes regardless.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;
}
