using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// The queue adapter of one provider over a message log: the write-only provider appends through it; a reader provider
/// creates a receiver per queue it is given.
/// </summary>
internal sealed class LogQueueAdapter(
    string name, IMessageLog log, LogReader? reader, LogRecordCodec codec, StreamConsumerLag lag, ILoggerFactory loggerFactory) : IQueueAdapter
{
    /// <summary>The provider's name (Orleans requires it).</summary>
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => reader is null ? StreamProviderDirection.WriteOnly : StreamProviderDirection.ReadOnly;

    /// <summary>
    /// Serializes the events and queues their append before returning (so a grain's publishes keep their call order);
    /// the task completes once the log made the record durable.
    /// </summary>
    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (reader is not null)
        {
            throw new InvalidOperationException($"Stream provider {name} reads the log; publish through the log's write-only provider.");
        }

        if (token is not null)
        {
            throw new ArgumentException("The log assigns the sequence tokens; publish without one.", nameof(token));
        }

        var body = LogRecordCodec.Body(events, requestContext);
        return log.AppendAsync(log.QueueOf(streamId), streamId, codec.Encode(body), body);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        if (reader is null)
        {
            throw new InvalidOperationException($"Stream provider {name} only writes to the log.");
        }

        return log.CreateReceiver(reader, (int)queueId.GetNumericId(), codec, lag, loggerFactory);
    }
}
