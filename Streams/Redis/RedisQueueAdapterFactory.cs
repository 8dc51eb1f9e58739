using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// Orleans' factory of one provider over the silo's <see cref="RedisLog"/>: the adapter (connecting
/// the log), the provider's own cache, the log's queue mapper (the same queues for every provider).
/// </summary>
internal sealed class RedisQueueAdapterFactory(
    string name, RedisLog log, LogReader? reader, string consumer, LogRecordCodec codec, StreamConsumerLag lag, SimpleQueueCacheOptions cacheOptions,
    ILoggerFactory loggerFactory)
    : IQueueAdapterFactory
{
    private readonly SimpleQueueAdapterCache cache = new(cacheOptions, name, loggerFactory);

    /// <summary>The factory of provider <paramref name="name"/>; <paramref name="reader"/> is the reader it is, or null for the write-only provider.</summary>
    public static RedisQueueAdapterFactory Create(IServiceProvider services, string name, string publishProviderName, LogReader? reader) => new(
        name,
        services.GetRequiredKeyedService<RedisLog>(publishProviderName),
        reader,
        services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString(),
        new LogRecordCodec(services.GetRequiredService<Serializer>()),
        services.GetRequiredKeyedService<StreamConsumerLag>(publishProviderName),
        services.GetRequiredService<IOptionsMonitor<SimpleQueueCacheOptions>>().Get(name),
        services.GetRequiredService<ILoggerFactory>());

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public async Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken)
    {
        await log.OpenAsync(cancellationToken).ConfigureAwait(false);
        return new RedisQueueAdapter(name, log, reader, consumer, codec, lag, loggerFactory);
    }

    public IQueueAdapterCache GetQueueAdapterCache() => cache;

    public IStreamQueueMapper GetStreamQueueMapper() => log.QueueMapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());
}
