namespace ChatCluster.Streams;

/// <summary>
/// One committed record of a queue: the stream it was published on and its payload as stored, or, for a record this process
/// appended, the events as published (<see cref="Body"/>) and an empty payload.
/// </summary>
internal sealed record LogRecord(long Offset, byte[] Namespace, byte[] Key, byte[] Payload)
{
    /// <summary>The payload decoded, when this process appended the record (the events as published); null when read from the file.</summary>
    public LogRecordBody? Body { get; init; }
}
