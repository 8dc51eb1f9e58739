using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// A message log as the stream providers over it use it (the seam between <see cref="LogQueueAdapter"/> and SQLite,
/// Redis Streams or Kafka): one per silo and log, shared by the write-only provider and every reader provider.
/// </summary>
internal interface IMessageLog : IStreamLog
{
    /// <summary>The mapper of every provider over the log: the same queues for all, and the write-only provider's decides where a stream goes.</summary>
    HashRingBasedStreamQueueMapper QueueMapper { get; }

    /// <summary>Connects (or opens) the log and checks it against the options; once, however often called.</summary>
    Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Appends one record of <paramref name="streamId"/> to <paramref name="queue"/>. The append is queued in call order before
    /// this returns (so a grain's publishes keep their order), and the task completes once the record is durable.
    /// <paramref name="payload"/> is <paramref name="body"/> encoded by the silo's <see cref="LogRecordCodec"/>.
    /// </summary>
    Task AppendAsync(int queue, StreamId streamId, byte[] payload, LogRecordBody body);

    /// <summary>The receiver of <paramref name="reader"/> on <paramref name="queue"/>, for the pulling agent that holds the queue.</summary>
    IQueueAdapterReceiver CreateReceiver(LogReader reader, int queue, LogRecordCodec codec, StreamConsumerLag lag, ILoggerFactory loggerFactory);
}
