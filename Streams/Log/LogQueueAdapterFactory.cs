using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Serialization;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// Orleans' factory of one provider over the silo's message log: the adapter (opening the log), the provider's own
/// cache, the log's queue mapper (the same queues for every provider).
/// </summary>
internal sealed class LogQueueAdapterFactory(
    string name, IMessageLog log, LogReader? reader, LogRecordCodec codec, StreamConsumerLag lag, SimpleQueueCacheOptions cacheOptions, ILoggerFactory loggerFactory)
    : IQueueAdapterFactory
{
    private readonly SimpleQueueAdapterCache cache = new(cacheOptions, name, loggerFactory);

    /// <summary>
    /// The queue mapper of a log of <paramref name="queues"/> queues, the same for every provider over it (the queue
    /// names share one prefix), so that queue <c>q</c> is the log's queue (partition) <c>q</c> for all of them.
    /// </summary>
    public static HashRingBasedStreamQueueMapper CreateQueueMapper(int queues) =>
        new(new HashRingStreamQueueMapperOptions { TotalQueueCount = queues }, "log");

    /// <summary>
    /// The factory of provider <paramref name="name"/> over the log registered under <paramref name="publishProviderName"/>;
    /// <paramref name="reader"/> is the reader it is, or null for the write-only provider.
    /// </summary>
    public static LogQueueAdapterFactory Create(IServiceProvider services, string name, string publishProviderName, LogReader? reader) => new(
        name,
        services.GetRequiredKeyedService<IMessageLog>(publishProviderName),
        reader,
        new LogRecordCodec(services.GetRequiredService<Serializer>()),
        services.GetRequiredKeyedService<StreamConsumerLag>(publishProviderName),
        services.GetRequiredService<IOptionsMonitor<SimpleQueueCacheOptions>>().Get(name),
        services.GetRequiredService<ILoggerFactory>());

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public async Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken)
    {
        await log.OpenAsync(cancellationToken).ConfigureAwait(false);
        return new LogQueueAdapter(name, log, reader, codec, lag, loggerFactory);
    }

    public IQueueAdapterCache GetQueueAdapterCache() => cache;

    public IStreamQueueMapper GetStreamQueueMapper() => log.QueueMapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());
}
