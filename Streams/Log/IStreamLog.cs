using Orleans.Runtime;

namespace ChatCluster.Streams;

/// <summary>
/// Positions in the message log behind the stream providers, for the chat's read barrier and the
/// lag metrics. One per silo (a DI singleton); implemented by the SQLite log now, by Redis Streams
/// and Kafka later. Offsets are per queue (partition): the first record of a queue is 1, each
/// append takes the next one, and none is ever reused.
/// </summary>
public interface IStreamLog
{
    /// <summary>The number of queues (partitions) of the log; every provider over it uses the same count.</summary>
    int Queues { get; }

    /// <summary>The queue (partition) the write-only provider puts <paramref name="streamId"/> in, from 0 to <see cref="Queues"/> - 1.</summary>
    int QueueOf(StreamId streamId);

    /// <summary>The offset of the last record appended to <paramref name="queue"/>, 0 if none.</summary>
    Task<long> GetEndAsync(int queue, CancellationToken ct);

    /// <summary>
    /// The highest offset the read-only provider <paramref name="readerProvider"/> has checkpointed in
    /// <paramref name="queue"/> (every record at or below it was delivered to its consumers), 0 if none.
    /// </summary>
    Task<long> GetCheckpointAsync(string readerProvider, int queue, CancellationToken ct);
}
