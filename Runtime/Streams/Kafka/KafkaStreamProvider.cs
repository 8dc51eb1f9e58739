using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Streams.Kafka;

/// <summary>
/// Streams in Kafka (Confluent.Kafka on librdkafka): one topic per stream namespace, <c>{TopicPrefix}.{namespace}</c>,
/// with <see cref="KafkaStreamOptions.Partitions"/> partitions; a stream id goes to partition
/// <see cref="StreamId.PartitionOf"/> (the same hash as every other provider, not Kafka's partitioner), its key is the
/// message key and the payload the message value. Each handler group is a Kafka consumer group,
/// <c>{TopicPrefix}.{handler group}</c>, whose committed offsets are the checkpoints.
/// </summary>
/// <remarks>
/// <para><b>Positions</b> are <c>(0, offset + 1)</c>: Kafka's first offset is 0, and <see cref="StreamPosition.Start"/>
/// (0, 0) means "before the first event", so positions count from 1 as those of the memory and SQLite providers do. A
/// committed offset (the next offset to read) is thus exactly the position of the last acknowledged event.</para>
/// <para><b>Appends</b> go through one idempotent producer (<c>enable.idempotence</c>, <c>acks=all</c>) and complete once
/// the brokers acknowledged them (in-sync replicas included): durability is Kafka's, per its replication settings
/// (<see cref="KafkaStreamOptions.ReplicationFactor"/>, the broker's <c>min.insync.replicas</c>).</para>
/// <para><b>Topics</b> are created lazily, by the first append to or read of a namespace in this process (namespaces are
/// not known up front, dead-letter namespaces <c>deadletter.{group}</c> among them), with the admin client; a topic that
/// exists already (another silo created it) is checked instead. <see cref="InitializeAsync"/> checks that the brokers
/// answer and that every topic under the prefix that exists already has the configured partition count. A topic with
/// another count fails clearly (stream ids hash to partitions, so the count cannot change). Turn the brokers'
/// <c>auto.create.topics.enable</c> off: a topic the broker creates by itself gets the broker's default count.</para>
/// <para><b>Readers</b> (<see cref="OpenReader"/>) assign their one partition by hand (no group subscription and no
/// Kafka rebalancing: the runtime decides which silo consumes which partition) and start at the group's committed
/// offset; acknowledging commits the offset after the event, never moving it back from what this reader committed.</para>
/// <para><b>Not on Kafka: the fence on grain publishes.</b> The Redis provider refuses, in the same step as the append,
/// an append on behalf of a silo incarnation the membership table has dead (<see cref="Redis.RedisStreamOptions.MembershipKey"/>).
/// Kafka has no such conditional append, so this provider takes the default
/// <see cref="IStreamProvider.AppendAsync(StreamId, ReadOnlyMemory{byte}, string?, CancellationToken)"/>, which ignores the
/// writer: an activation left behind on a silo that was declared dead can still publish until it learns it is dead.</para>
/// </remarks>
public sealed partial class KafkaStreamProvider : IStreamProvider, IAsyncDisposable
{
    private static readonly TimeSpan ErrorLogInterval = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, Task> topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ErrorCode, long> lastErrorLogged = new();
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private IProducer<string, byte[]>? producer;
    private IAdminClient? admin;
    private int disposed;

    /// <param name="options">Brokers, topic prefix, partitions, timeouts.</param>
    /// <param name="loggerFactory">Logs the clients' errors and librdkafka's own log; none when null.</param>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public KafkaStreamProvider(KafkaStreamOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(KafkaStreamOptions.Section, typeof(KafkaStreamOptions), problems);
        }

        Options = options;
        Partitions = options.Partitions;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KafkaStreamProvider>();
    }

    /// <inheritdoc />
    public int Partitions { get; }

    /// <inheritdoc />
    /// <remarks>True: every silo reads the same topics, so the silos divide the partitions.</remarks>
    public bool IsShared => true;

    /// <summary>The provider's settings.</summary>
    public KafkaStreamOptions Options { get; }

    /// <summary>The topic of a stream namespace: <c>{TopicPrefix}.{namespace}</c>.</summary>
    /// <exception cref="ArgumentException">The namespace has characters a Kafka topic name cannot have, or is too long.</exception>
    public string TopicOf(string streamNamespace)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        var topic = $"{Options.TopicPrefix}.{streamNamespace}";
        if (topic.Length > 249 || !streamNamespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"Stream namespace '{streamNamespace}' cannot be a Kafka topic name ('{topic}'): a topic name has at most 249 letters, digits, '-', '_' or '.'.",
                nameof(streamNamespace));
        }

        return topic;
    }

    /// <summary>The Kafka consumer group of a handler group: <c>{TopicPrefix}.{handler group}</c>.</summary>
    public string GroupIdOf(string handlerGroup)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        return $"{Options.TopicPrefix}.{handlerGroup}";
    }

    /// <summary>
    /// Loads librdkafka, builds the producer and the admin client, asks the brokers for the cluster's metadata, and
    /// checks the partition count of every topic under <see cref="KafkaStreamOptions.TopicPrefix"/> that exists already.
    /// Topics are created later, per namespace, when first used.
    /// </summary>
    /// <exception cref="StorageUnavailableException">The brokers did not answer within <see cref="KafkaStreamOptions.RequestTimeout"/>.</exception>
    /// <exception cref="InvalidOperationException">A topic under the prefix has another number of partitions; or librdkafka cannot be loaded.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var client = Admin;
        Metadata metadata;
        try
        {
            metadata = await Task.Run(() => client.GetMetadata(Options.RequestTimeout), cancellationToken).WaitAsync(cancellationToken);
        }
        catch (KafkaException ex)
        {
            throw new StorageUnavailableException(
                $"Kafka at {Options.BootstrapServers} did not answer a metadata request within {Options.RequestTimeout}: {ex.Error.Reason} ({ex.Error.Code}).", ex);
        }

        var prefix = Options.TopicPrefix + ".";
        foreach (var topic in metadata.Topics.Where(t => t.Topic.StartsWith(prefix, StringComparison.Ordinal) && t.Error.Code == ErrorCode.NoError))
        {
            CheckPartitionCount(topic.Topic, topic.Partitions.Count);
            topics.TryAdd(topic.Topic[prefix.Length..], Task.CompletedTask);
        }

        var version = KafkaNativeLibrary.Version;
        var settings = Options.ToString();
        LogInitialized(logger, Options.BootstrapServers, metadata.Brokers.Count, version, settings);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The first append to a namespace creates its topic (or checks it). The append completes when the brokers
    /// acknowledged it (<c>acks=all</c>); the producer retries on its own until <see cref="KafkaStreamOptions.MessageTimeout"/>.
    /// </remarks>
    /// <exception cref="StorageUnavailableException">Kafka did not acknowledge the append; the message names the topic and the brokers.</exception>
    public Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        StreamIds.Validate(stream, nameof(stream));
        var topic = TopicOf(stream.Namespace);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<StreamPosition>(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        return AppendCoreAsync(stream, topic, stream.PartitionOf(Partitions), payload.ToArray(), cancellationToken);
    }

    /// <inheritdoc />
    public IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        return new KafkaPartitionReader(this, new CheckpointKey(handlerGroup, streamNamespace, partition), TopicOf(streamNamespace), logger);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The partition's high watermark (the offset the next message will get), which is the last message's position
    /// (<see cref="StreamPosition.Start"/> when empty). Creates the namespace's topic if it does not exist yet, as a read does.
    /// </remarks>
    /// <exception cref="StorageUnavailableException">Kafka did not answer; the message names the topic and the brokers.</exception>
    public async Task<StreamPosition> GetEndAsync(string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        var topic = TopicOf(streamNamespace);
        await EnsureTopicAsync(streamNamespace, cancellationToken);
        ListOffsetsResult result;
        try
        {
            result = await Admin.ListOffsetsAsync(
                [new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(topic, partition), OffsetSpec = OffsetSpec.Latest() }],
                new ListOffsetsOptions { RequestTimeout = Options.RequestTimeout }).WaitAsync(cancellationToken);
        }
        catch (ListOffsetsException ex) when (ex.Result.ResultInfos.Any(r => r.TopicPartitionOffsetError.Error.Code == ErrorCode.UnknownTopicOrPart))
        {
            return StreamPosition.Start;
        }
        catch (KafkaException ex)
        {
            throw Unavailable($"Kafka did not answer the end offset of topic '{topic}' partition {partition}", ex);
        }

        var offset = result.ResultInfos[0].TopicPartitionOffsetError.Offset.Value;
        return offset > 0 ? new StreamPosition(0, offset) : StreamPosition.Start;
    }

    /// <inheritdoc />
    /// <remarks>The group's committed offset in the partition (the next offset to read), which is the last acknowledged event's position.</remarks>
    /// <exception cref="StorageUnavailableException">Kafka did not answer; the message names the group, the topic and the brokers.</exception>
    public async Task<StreamPosition> GetAcknowledgedAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        var committed = await GetCommittedOffsetAsync(handlerGroup, new TopicPartition(TopicOf(streamNamespace), partition), cancellationToken);
        return committed > 0 ? new StreamPosition(0, committed) : StreamPosition.Start;
    }

    /// <inheritdoc />
    public override string ToString() => $"Kafka, {Options}";

    /// <summary>Waits up to <see cref="KafkaStreamOptions.MessageTimeout"/> for the appends in flight, then closes the producer and the admin client (readers close their own consumers when disposed).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        IProducer<string, byte[]>? closingProducer;
        IAdminClient? closingAdmin;
        lock (gate)
        {
            (closingProducer, producer) = (producer, null);
            (closingAdmin, admin) = (admin, null);
        }

        await Task.Run(() =>
        {
            if (closingProducer is not null)
            {
                try
                {
                    closingProducer.Flush(Options.MessageTimeout);
                }
                catch (KafkaException ex)
                {
                    LogCloseFailed(logger, ex, Options.BootstrapServers);
                }

                closingProducer.Dispose();
            }

            closingAdmin?.Dispose();
        });
    }

    /// <summary>The next offset the group reads in the partition (its committed offset), or -1 if it committed none.</summary>
    internal async Task<long> GetCommittedOffsetAsync(string handlerGroup, TopicPartition partition, CancellationToken cancellationToken)
    {
        var group = GroupIdOf(handlerGroup);
        try
        {
            var results = await Admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(group, [partition])],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = Options.RequestTimeout, RequireStableOffsets = true }).WaitAsync(cancellationToken);
            var offset = results.SelectMany(r => r.Partitions).FirstOrDefault(p => p.TopicPartition == partition)?.Offset ?? Offset.Unset;
            return offset.IsSpecial ? -1 : offset.Value;
        }
        catch (ListConsumerGroupOffsetsException ex) when (ex.Results.SelectMany(r => r.Partitions).All(p => p.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.NoError)
            && ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.GroupIdNotFound))
        {
            return -1;
        }
        catch (KafkaException ex)
        {
            throw Unavailable($"Kafka did not answer the committed offset of group '{group}' in topic '{partition.Topic}' partition {partition.Partition.Value}", ex);
        }
    }

    /// <summary>Takes the namespace's topic as created and checked (tests: to reach the producer without a broker).</summary>
    internal void AssumeTopicExists(string streamNamespace) => topics[streamNamespace] = Task.CompletedTask;

    /// <summary>Creates the namespace's topic, or checks the existing one, once per process (again after a failure).</summary>
    internal Task EnsureTopicAsync(string streamNamespace, CancellationToken cancellationToken)
    {
        var task = topics.GetOrAdd(streamNamespace, static (ns, provider) => provider.CreateOrCheckTopicAsync(ns), this);
        if (task.IsCompletedSuccessfully)
        {
            return task;
        }

        if (task.IsCompleted)
        {
            // Failed before: forget it, so this call (and the next ones) try again.
            topics.TryRemove(new KeyValuePair<string, Task>(streamNamespace, task));
            task = topics.GetOrAdd(streamNamespace, static (ns, provider) => provider.CreateOrCheckTopicAsync(ns), this);
        }

        return task.WaitAsync(cancellationToken);
    }

    /// <summary>A consumer of the handler group's Kafka consumer group, never subscribed (the reader assigns its partition).</summary>
    internal IConsumer<string, byte[]> CreateConsumer(string handlerGroup)
    {
        KafkaNativeLibrary.EnsureLoaded();
        var config = new ConsumerConfig(ClientConfig())
        {
            GroupId = GroupIdOf(handlerGroup),
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = false,
            AllowAutoCreateTopics = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        return new ConsumerBuilder<string, byte[]>(config)
            .SetLogHandler((_, message) => LogClientMessage(message))
            .SetErrorHandler((_, error) => LogClientError(error))
            .Build();
    }

    /// <summary>A <see cref="StorageUnavailableException"/> that names the brokers (never a password).</summary>
    internal StorageUnavailableException Unavailable(string what, KafkaException ex) =>
        new($"{what} (bootstrap servers {Options.BootstrapServers}): {ex.Error.Reason} ({ex.Error.Code}).", ex);

    private IAdminClient Admin
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
                if (admin is null)
                {
                    KafkaNativeLibrary.EnsureLoaded();
                    admin = new AdminClientBuilder(new AdminClientConfig(ClientConfig()))
                        .SetLogHandler((_, message) => LogClientMessage(message))
                        .SetErrorHandler((_, error) => LogClientError(error))
                        .Build();
                }

                return admin;
            }
        }
    }

    /// <summary>The producer, built on first use; a new one after the previous one failed fatally (an idempotent producer can).</summary>
    private IProducer<string, byte[]> Producer
    {
        get
        {
            lock (gate)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
                if (producer is null)
                {
                    KafkaNativeLibrary.EnsureLoaded();
                    var messageTimeout = (int)Options.MessageTimeout.TotalMilliseconds;
                    var config = new ProducerConfig(ClientConfig())
                    {
                        EnableIdempotence = true,
                        Acks = Acks.All,
                        MessageTimeoutMs = messageTimeout,
                        RequestTimeoutMs = Math.Min(messageTimeout, (int)Options.RequestTimeout.TotalMilliseconds),
                        LingerMs = 1,
                    };
                    producer = new ProducerBuilder<string, byte[]>(config)
                        .SetLogHandler((_, message) => LogClientMessage(message))
                        .SetErrorHandler((_, error) => LogClientError(error))
                        .Build();
                }

                return producer;
            }
        }
    }

    private async Task<StreamPosition> AppendCoreAsync(StreamId stream, string topic, int partition, byte[] payload, CancellationToken cancellationToken)
    {
        await EnsureTopicAsync(stream.Namespace, cancellationToken);
        var current = Producer;
        try
        {
            var result = await current.ProduceAsync(
                new TopicPartition(topic, partition), new Message<string, byte[]> { Key = stream.Key, Value = payload }, cancellationToken);
            return new StreamPosition(0, result.Offset.Value + 1);
        }
        catch (KafkaException ex)
        {
            if (ex.Error.IsFatal)
            {
                ReplaceProducer(current);
            }

            throw Unavailable($"Kafka did not acknowledge the append to topic '{topic}' partition {partition}", ex);
        }
    }

    /// <summary>Drops a producer that failed fatally (the next append builds a new one) and disposes it in the background.</summary>
    private void ReplaceProducer(IProducer<string, byte[]> failed)
    {
        lock (gate)
        {
            if (!ReferenceEquals(producer, failed))
            {
                return;
            }

            producer = null;
        }

        LogProducerReplaced(logger, Options.BootstrapServers);
        _ = Task.Run(failed.Dispose);
    }

    private async Task CreateOrCheckTopicAsync(string streamNamespace)
    {
        var topic = TopicOf(streamNamespace);
        var client = Admin;
        try
        {
            await client.CreateTopicsAsync(
                [new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = (short)Options.ReplicationFactor }],
                new CreateTopicsOptions { RequestTimeout = Options.RequestTimeout, OperationTimeout = Options.RequestTimeout });
            LogTopicCreated(logger, topic, Partitions, Options.ReplicationFactor);
            return;
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
            // Created before, by another process (or by this one before a restart): check it below.
        }
        catch (KafkaException ex)
        {
            throw Unavailable($"Kafka did not create topic '{topic}'", ex);
        }

        try
        {
            var description = await client.DescribeTopicsAsync(
                TopicCollection.OfTopicNames([topic]), new DescribeTopicsOptions { RequestTimeout = Options.RequestTimeout });
            CheckPartitionCount(topic, description.TopicDescriptions[0].Partitions.Count);
        }
        catch (KafkaException ex)
        {
            throw Unavailable($"Kafka did not describe topic '{topic}'", ex);
        }
    }

    private void CheckPartitionCount(string topic, int count)
    {
        if (count != Partitions)
        {
            throw new InvalidOperationException(
                $"Kafka topic '{topic}' has {count} partitions, but {Partitions} are configured ({KafkaStreamOptions.Section}:{nameof(KafkaStreamOptions.Partitions)}). "
                + $"Stream ids hash to partitions, so the count cannot change: configure {count}, or use another {KafkaStreamOptions.Section}:{nameof(KafkaStreamOptions.TopicPrefix)}.");
        }
    }

    private ClientConfig ClientConfig()
    {
        var config = new ClientConfig
        {
            BootstrapServers = Options.BootstrapServers,
            ClientId = "chatcluster",
            SocketTimeoutMs = (int)Math.Max(Options.RequestTimeout.TotalMilliseconds, 10),
        };
        if (Options.SecurityProtocol is { } protocol)
        {
            config.SecurityProtocol = protocol;
        }

        if (!string.IsNullOrEmpty(Options.SaslUsername))
        {
            config.SaslMechanism = Options.SaslMechanism ?? SaslMechanism.Plain;
            config.SaslUsername = Options.SaslUsername;
            config.SaslPassword = Options.SaslPassword;
        }
        else if (Options.SaslMechanism is { } mechanism)
        {
            config.SaslMechanism = mechanism;
        }

        return config;
    }

    private void LogClientMessage(LogMessage message)
    {
        // librdkafka's own log (syslog levels); its errors also reach the error handler, which logs them.
        if (message.Level <= SyslogLevel.Critical)
        {
            LogLibrdkafka(logger, LogLevel.Error, message.Name, message.Facility, message.Message);
        }
        else if (logger.IsEnabled(LogLevel.Debug))
        {
            LogLibrdkafka(logger, LogLevel.Debug, message.Name, message.Facility, message.Message);
        }
    }

    private void LogClientError(Error error)
    {
        if (error.IsFatal)
        {
            LogFatalError(logger, Options.BootstrapServers, error.Code, error.Reason);
            return;
        }

        // The clients retry by themselves and repeat transport errors many times a second: once per interval per code.
        var now = Stopwatch.GetTimestamp();
        var last = lastErrorLogged.GetValueOrDefault(error.Code);
        if (last == 0 || Stopwatch.GetElapsedTime(last, now) >= ErrorLogInterval)
        {
            lastErrorLogged[error.Code] = now;
            LogError(logger, Options.BootstrapServers, error.Code, error.Reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka at {BootstrapServers}: {Brokers} brokers, librdkafka {Version}; {Options}")]
    private static partial void LogInitialized(ILogger logger, string bootstrapServers, int brokers, string version, string options);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kafka topic {Topic} with {Partitions} partitions, replication factor {ReplicationFactor}")]
    private static partial void LogTopicCreated(ILogger logger, string topic, int partitions, int replicationFactor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error (bootstrap servers {BootstrapServers}): {Code} {Reason}; the client retries (repeats of this code are not logged for 30 s)")]
    private static partial void LogError(ILogger logger, string bootstrapServers, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fatal Kafka client error (bootstrap servers {BootstrapServers}): {Code} {Reason}")]
    private static partial void LogFatalError(ILogger logger, string bootstrapServers, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Kafka producer (bootstrap servers {BootstrapServers}) failed fatally; the next append builds a new one")]
    private static partial void LogProducerReplaced(ILogger logger, string bootstrapServers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flushing the Kafka producer on close failed (bootstrap servers {BootstrapServers})")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string bootstrapServers);

    [LoggerMessage(Message = "librdkafka {Name} {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, LogLevel level, string name, string facility, string message);
}
