using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Streams;

/// <summary>
/// One handler group of one namespace, as registered with <c>AddStreamHandler</c>: it makes the
/// group's consumer of each partition (the handler is a singleton from dependency injection).
/// </summary>
internal sealed class StreamHandlerRegistration(string streamNamespace, string group, Type handlerType,
    Func<IServiceProvider, IStreamProvider, CheckpointKey, PartitionConsumer> createConsumer)
{
    public string Namespace => streamNamespace;

    public string Group => group;

    public Type HandlerType => handlerType;

    public PartitionConsumer CreateConsumer(IServiceProvider services, IStreamProvider provider, int partition) =>
        createConsumer(services, provider, new CheckpointKey(group, streamNamespace, partition));

    public static StreamHandlerRegistration For<THandler, TEvent>(string streamNamespace, string group, StreamHandlerOptions options)
        where THandler : class, IStreamHandler<TEvent> =>
        new(streamNamespace, group, typeof(THandler), (services, provider, key) => new PartitionConsumer<TEvent>(
            services.GetRequiredService<THandler>(),
            provider,
            key,
            options,
            services.GetRequiredService<ILoggerFactory>().CreateLogger<THandler>()));

    public override string ToString() => $"{group} on {streamNamespace} ({handlerType.Name})";
}
