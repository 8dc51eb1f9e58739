using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// The queue adapter of one provider over a <see cref="RedisLog"/>: the write-only provider appends
/// through it; a reader provider creates a receiver per queue it is given.
/// </summary>
internal sealed class RedisQueueAdapter(
    string name, RedisLog log, LogReader? reader, string consumer, LogRecordCodec codec, StreamConsumerLag lag, ILoggerFactory loggerFactory) : IQueueAdapter
{
    /// <summary>The provider's name (Orleans requires it).</summary>
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => reader is null ? StreamProviderDirection.WriteOnly : StreamProviderDirection.ReadOnly;

    /// <summary>
    /// Serializes the events and sends the append before returning (one connection keeps a grain's
    /// publishes in call order); the task completes once Redis acknowledged the XADD.
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
        return log.AppendAsync(log.QueueOf(streamId), streamId, codec.Encode(body));
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        if (reader is null)
        {
            throw new InvalidOperationException($"Stream provider {name} only writes to the log.");
        }

        return new RedisQueueReceiver(log, reader, (int)queueId.GetNumericId(), consumer, codec, lag, loggerFactory.CreateLogger<RedisQueueReceiver>());
    }
}
