using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>Registers the SQLite message log as Orleans stream providers.</summary>
public static class SqliteLogSiloBuilderExtensions
{
    /// <summary>
    /// Registers a write-only stream provider <paramref name="publishProviderName"/> that appends to a
    /// SQLite log, and one read-only provider per reader over the same file, each with its own
    /// checkpoints, cache and pulling agents. All use implicit-only pub-sub and the same queues.
    /// Also registers the log's positions as <see cref="IStreamLog"/> (keyed by
    /// <paramref name="publishProviderName"/>, and unkeyed).
    /// </summary>
    /// <param name="builder">The silo.</param>
    /// <param name="publishProviderName">The provider grains publish through.</param>
    /// <param name="configure">Sets the <see cref="SqliteLogOptions"/> (the file, the queue count...).</param>
    /// <param name="readers">The read-only providers.</param>
    /// <exception cref="ArgumentException">A reader is invalid, or two providers have one name or two readers one delivered namespace.</exception>
    public static ISiloBuilder AddSqliteLog(this ISiloBuilder builder, string publishProviderName, Action<SqliteLogOptions> configure, params LogReader[] readers)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(publishProviderName);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(readers);
        CheckReaders(publishProviderName, readers);

        var services = builder.Services;
        var readerNames = readers.Select(reader => reader.ProviderName).ToArray();
        services.AddOptions<SqliteLogOptions>(publishProviderName).Configure(configure);
        services.TryAddSingleton<SqliteLogRegistry>();
        services.AddKeyedSingleton(publishProviderName, (sp, _) => sp.GetRequiredService<SqliteLogRegistry>().Get(
            sp.GetRequiredService<IOptionsMonitor<SqliteLogOptions>>().Get(publishProviderName), readerNames));
        services.AddKeyedSingleton<IStreamLog>(publishProviderName, (sp, _) => sp.GetRequiredKeyedService<SqliteLog>(publishProviderName));
        services.AddSingleton<IStreamLog>(sp => sp.GetRequiredKeyedService<SqliteLog>(publishProviderName));
        services.AddSingleton<IConfigurationValidator>(sp => new SqliteLogValidator(sp, publishProviderName));

        builder.AddPersistentStreams(
            publishProviderName,
            (sp, name) => SqliteQueueAdapterFactory.Create(sp, name, publishProviderName, reader: null),
            stream => stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        foreach (var reader in readers)
        {
            builder.AddPersistentStreams(
                reader.ProviderName,
                (sp, name) => SqliteQueueAdapterFactory.Create(sp, name, publishProviderName, reader),
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

        return builder;
    }

    private static void CheckReaders(string publishProviderName, LogReader[] readers)
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
