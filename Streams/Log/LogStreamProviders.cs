using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// What every log's registration shares: the log and its options, checking the readers, adding the write-only provider
/// and one read-only provider per reader (with their queue balancer), and the readers' consumer lag.
/// </summary>
internal static class LogStreamProviders
{
    /// <summary>
    /// How long a silo that joined counts as new for the queue balancer (Orleans' default is 2 minutes). A new silo takes
    /// its share at once either way; a short period only keeps the balancer from holding back a share for that long.
    /// </summary>
    public static readonly TimeSpan SiloMaturityPeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Registers a message log of kind <paramref name="logKind"/> under <paramref name="publishProviderName"/>: its options
    /// (named by the provider, checked at start-up by <paramref name="validate"/>), the log (made by <paramref name="createLog"/>
    /// from the options and the readers' names, as <typeparamref name="TLog"/>, <see cref="IMessageLog"/> and <see cref="IStreamLog"/>,
    /// keyed by the provider name, and unkeyed as <see cref="IStreamLog"/>), and its stream providers (<see cref="AddProviders"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A reader is invalid, or two providers have one name or two readers one delivered namespace.</exception>
    public static ISiloBuilder AddLog<TOptions, TLog>(
        ISiloBuilder builder,
        string publishProviderName,
        Action<TOptions> configure,
        LogReader[] readers,
        string logKind,
        Func<TOptions, IEnumerable<string>> validate,
        Func<IServiceProvider, TOptions, string[], TLog> createLog)
        where TOptions : class
        where TLog : class, IMessageLog
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(publishProviderName);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(readers);
        CheckReaders(publishProviderName, readers);

        var services = builder.Services;
        var readerNames = readers.Select(reader => reader.ProviderName).ToArray();
        services.AddOptions<TOptions>(publishProviderName).Configure(configure);
        services.AddKeyedSingleton(publishProviderName, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(publishProviderName);
            var errors = validate(options).ToList();
            if (errors.Count > 0)
            {
                throw new OrleansConfigurationException($"The {logKind} log of stream provider {publishProviderName}: {string.Join(" ", errors)}");
            }

            return createLog(sp, options, readerNames);
        });
        services.AddKeyedSingleton<IMessageLog>(publishProviderName, (sp, _) => sp.GetRequiredKeyedService<TLog>(publishProviderName));
        services.AddKeyedSingleton<IStreamLog>(publishProviderName, (sp, _) => sp.GetRequiredKeyedService<TLog>(publishProviderName));
        services.AddSingleton<IStreamLog>(sp => sp.GetRequiredKeyedService<TLog>(publishProviderName));
        services.AddSingleton<IConfigurationValidator>(sp => new LogOptionsValidator<TOptions>(sp, publishProviderName, logKind, validate));
        AddProviders(builder, publishProviderName, readers);
        return builder;
    }

    /// <summary>
    /// Adds the write-only provider <paramref name="publishProviderName"/> and one read-only provider per
    /// reader, all with implicit-only pub-sub, over the <see cref="IMessageLog"/> keyed by that name. Also registers the
    /// log's <see cref="StreamConsumerLag"/> (keyed by <paramref name="publishProviderName"/>, and unkeyed).
    /// </summary>
    private static void AddProviders(ISiloBuilder builder, string publishProviderName, LogReader[] readers)
    {
        IQueueAdapterFactory Create(IServiceProvider sp, string name, LogReader? reader) => LogQueueAdapterFactory.Create(sp, name, publishProviderName, reader);

        builder.Services.AddKeyedSingleton(publishProviderName, (sp, _) => new StreamConsumerLag(
            sp.GetRequiredKeyedService<IStreamLog>(publishProviderName), sp.GetRequiredService<ILoggerFactory>().CreateLogger<StreamConsumerLag>()));
        builder.Services.AddSingleton(sp => sp.GetRequiredKeyedService<StreamConsumerLag>(publishProviderName));
        builder.AddPersistentStreams(
            publishProviderName,
            (sp, name) => Create(sp, name, null),
            stream => stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        foreach (var reader in readers)
        {
            builder.AddPersistentStreams(
                reader.ProviderName,
                (sp, name) => Create(sp, name, reader),
                stream =>
                {
                    stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);

                    // Orleans' deployment-based balancer over the silos of the membership: an even share for every active
                    // silo (the default consistent ring split 8 queues 6/2 over two silos), a dead or leaving silo's share
                    // handed to the others as soon as the membership says so. Streams/README.md says why not the others.
                    stream.ConfigurePartitionBalancing<DeploymentBasedQueueBalancerOptions>(
                        (sp, name) => DeploymentBasedQueueBalancer.Create(sp, name, new MembershipDeployment(sp.GetRequiredService<ISiloStatusOracle>())),
                        options => options.Configure(balancer =>
                        {
                            balancer.IsFixed = false;
                            balancer.SiloMaturityPeriod = SiloMaturityPeriod;
                        }));
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
