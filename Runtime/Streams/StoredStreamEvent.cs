namespace ChatCluster.Runtime;

/// <summary>An event as a provider stored it: its stream, its position in its partition, and its payload (UTF-8 JSON).</summary>
public sealed record StoredStreamEvent(StreamId Stream, StreamPosition Position, ReadOnlyMemory<byte> Payload)
{
    /// <summary>How many times this event was handed to this handler group before (0 on first delivery), when the provider knows.</summary>
    public int PreviousDeliveries { get; init; }
}
