using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>What every log's registration shares: checking the readers, and adding the write-only provider and one read-only provider per reader.</summary>
internal static class LogStreamProviders
{
    /// <summary>
    /// Adds the write-only provider <paramref name="publishProviderName"/> and one read-only provider per
    /// reader, all with implicit-only pub-sub; <paramref name="create"/> makes a provider's adapter factory
    /// (its reader, or null for the write-only provider).
    /// </summary>
    public static void Add(
        ISiloBuilder builder, string publishProviderName, LogReader[] readers, Func<IServiceProvider, string, LogReader?, IQueueAdapterFactory> create)
    {
        builder.AddPersistentStreams(
            publishProviderName,
            (sp, name) => create(sp, name, null),
            stream => stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        foreach (var reader in readers)
        {
            builder.AddPersistentStreams(
                reader.ProviderName,
                (sp, name) => create(sp, name, reader),
                stream =>
                {
                    stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                    stream.Configure<SimpleQueueCacheOptions>(options => options.Configure(cache => cache.CacheSize = reader.CacheSize));
                    stream.ConfigurePullingAgent(options => options.Configure(agent =>
                    {
                        agent.BatchContainerBatchSize = reader.BatchSize;
                        agent.GetQueueMsgsTimerPeriod = reader.PollPeriod;
                        if (reader.MaxDeliveryTime is { } maxDeliveryTime)
                        {
                            agent.MaxEventDeliveryTime = maxDeliveryTime;
                        }
                    }));
                });
        }
    }

    /// <exception cref="ArgumentException">A reader is invalid, or two providers have one name or two readers one delivered namespace.</exception>
    public static void CheckReaders(string publishProviderName, LogReader[] readers)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal) { publishProviderName };
        var delivered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reader in readers)
        {
            if (reader is null)
            {
                errors.Add("A LogReader is null.");
                continue;
            }

            errors.AddRange(reader.Validate());
            if (!string.IsNullOrWhiteSpace(reader.ProviderName) && !names.Add(reader.ProviderName))
            {
                errors.Add($"{nameof(LogReader)}.{nameof(LogReader.ProviderName)} '{reader.ProviderName}' is used twice: every provider over the log needs its own name.");
            }

            if (!string.IsNullOrWhiteSpace(reader.DeliveredNamespace) && !delivered.Add(reader.DeliveredNamespace))
            {
                errors.Add($"{nameof(LogReader)}.{nameof(LogReader.DeliveredNamespace)} '{reader.DeliveredNamespace}' is used by two readers: their consumers would hear both.");
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(readers));
        }
    }
}
