using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Streams;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace ChatCluster.Streams;

/// <summary>
/// The Kafka message log of one silo: the idempotent producer the write-only provider appends through, the topic's
/// check at start, and the positions (<see cref="IStreamLog"/>). Queue <c>q</c> is partition <c>q</c> of the topic; a
/// record's offset in the log is its Kafka offset + 1 (so the first is 1), its key the stream's key and its header
/// <c>namespace</c> the stream's namespace. Reader <c>r</c> is consumer group <c>{Topic}-r</c>, whose committed offset
/// of a partition is the reader's checkpoint, and whose dead letters go to <c>{Topic}-dead-letters</c>.
/// </summary>
/// <remarks>
/// Unlike the Redis log, an append cannot be made conditional on the silo's membership (Kafka has no conditional write),
/// so a frozen silo that resumes can append until Orleans stops it; see the README's Kafka section.
/// </remarks>
internal sealed partial class KafkaLog : IMessageLog, IAsyncDisposable
{
    /// <summary>The header that carries a record's stream namespace.</summary>
    public const string NamespaceHeader = "namespace";

    // Records fetched and not yet taken, per partition, before the partition is paused: a few of Orleans' reads (a tenth of
    // its cache each), and not so many that a silo holding many partitions of a backlog fills its memory with them.
    private const int GroupBufferLimit = 1024;

    private readonly Lock gate = new();
    private readonly KafkaLogOptions options;
    private readonly ILogger logger;
    private readonly Dictionary<string, KafkaGroupConsumer> groupConsumers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource closing = new();
    private Task? opening;
    private IProducer<byte[], byte[]>? producer;
    private bool producerFailed;
    private IConsumer<byte[], byte[]>? watermarks;
    private bool disposed;

    public KafkaLog(KafkaLogOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        Queues = options.Queues;
        QueueMapper = LogQueueAdapterFactory.CreateQueueMapper(Queues);
    }

    public int Queues { get; }

    public KafkaLogOptions Options => options;

    public HashRingBasedStreamQueueMapper QueueMapper { get; }

    public int QueueOf(StreamId streamId) => (int)QueueMapper.GetQueueForStream(streamId).GetNumericId();

    /// <summary>Creates the topics where the brokers allow it, checks the log topic's partitions, and starts the producer; once.</summary>
    public Task OpenAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            opening ??= Task.Run(() => OpenCoreAsync(closing.Token), CancellationToken.None);
            return opening.WaitAsync(cancellationToken);
        }
    }

    public Task AppendAsync(int queue, StreamId streamId, byte[] payload, LogRecordBody body)
    {
        CheckQueue(queue);
        var message = new Message<byte[], byte[]>
        {
            Key = streamId.Key.ToArray(),
            Value = payload,
            Headers = new Headers { { NamespaceHeader, streamId.Namespace.ToArray() } },
        };

        // ProduceAsync hands the record to the producer before it returns: one producer per silo keeps a grain's appends
        // in call order, and idempotence keeps them in order (and single) through the producer's retries.
        return Producer.ProduceAsync(new TopicPartition(options.Topic, queue), message);
    }

    public IQueueAdapterReceiver CreateReceiver(LogReader reader, int queue, LogRecordCodec codec, StreamConsumerLag lag, ILoggerFactory loggerFactory) =>
        new KafkaQueueReceiver(this, reader, queue, codec, lag, loggerFactory.CreateLogger<KafkaQueueReceiver>());

    /// <summary>The high watermark of the partition: the offset (from 1) of its last record that every in-sync replica has.</summary>
    public async Task<long> GetEndAsync(int queue, CancellationToken ct)
    {
        CheckQueue(queue);
        await OpenAsync(ct).ConfigureAwait(false);
        var client = Watermarks;
        return await Task.Run(() => client.QueryWatermarkOffsets(new TopicPartition(options.Topic, queue), options.RequestTimeout).High.Value, ct).ConfigureAwait(false);
    }

    /// <summary>The committed offset of the reader's group: every record below it, in Kafka's numbering, was delivered.</summary>
    public async Task<long> GetCheckpointAsync(string readerProvider, int queue, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(readerProvider);
        CheckQueue(queue);
        await OpenAsync(ct).ConfigureAwait(false);
        var group = GroupConsumer(readerProvider);
        return await Task.Run(() => group.Checkpoint(queue, options.RequestTimeout), ct).ConfigureAwait(false);
    }

    /// <summary>The silo's consumer of the reader's group, which its receivers assign their partitions to.</summary>
    internal KafkaGroupConsumer GroupConsumer(string readerProvider)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!groupConsumers.TryGetValue(readerProvider, out var group))
            {
                var consumer = new ConsumerBuilder<byte[], byte[]>(options.Apply(new ConsumerConfig
                {
                    GroupId = options.GroupOf(readerProvider),
                    ClientId = $"chatcluster-{readerProvider}",
                    EnableAutoCommit = false,
                    EnableAutoOffsetStore = false,
                    AutoOffsetReset = AutoOffsetReset.Earliest,

                    // Prefetch per partition: enough for Orleans' cache to fill, not librdkafka's default of 64 MiB.
                    QueuedMaxMessagesKbytes = 8192,
                    FetchWaitMaxMs = (int)options.FetchWait.TotalMilliseconds,
                }))
                    .SetLogHandler((_, message) => LogClient(message))
                    .SetErrorHandler((_, error) => LogClientError(error))
                    .Build();
                group = new KafkaGroupConsumer(consumer, options.Topic, options.GroupOf(readerProvider), GroupBufferLimit, logger);
                groupConsumers[readerProvider] = group;
            }

            return group;
        }
    }

    /// <summary>Sets a record aside in the dead-letter topic with who could not read it and why.</summary>
    internal Task DeadLetterAsync(string readerProvider, int queue, ConsumeResult<byte[], byte[]> record, string error)
    {
        var headers = new Headers
        {
            { "reader", Encoding.UTF8.GetBytes(readerProvider) },
            { "partition", Encoding.UTF8.GetBytes(queue.ToString(CultureInfo.InvariantCulture)) },
            { "offset", Encoding.UTF8.GetBytes((record.Offset.Value + 1).ToString(CultureInfo.InvariantCulture)) },
            { "error", Encoding.UTF8.GetBytes(error) },
        };
        foreach (var header in record.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        return Producer.ProduceAsync(options.DeadLetterTopic, new Message<byte[], byte[]> { Key = record.Message.Key, Value = record.Message.Value, Headers = headers });
    }

    /// <summary>
    /// The records <paramref name="readerProvider"/> set aside, each counted once (a record read again after its partition moved
    /// before the reader committed past it is dead-lettered again). Reads the whole dead-letter topic: for tests and diagnostics.
    /// </summary>
    public async Task<long> CountDeadLettersAsync(string readerProvider)
    {
        await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        return await Task.Run(() =>
        {
            using var admin = CreateAdmin();
            var partitions = admin.GetMetadata(options.DeadLetterTopic, options.RequestTimeout).Topics[0].Partitions;
            using var reader = new ConsumerBuilder<byte[], byte[]>(options.Apply(new ConsumerConfig
            {
                GroupId = $"{options.DeadLetterTopic}-count",
                EnableAutoCommit = false,
                EnablePartitionEof = true,
            })).Build();
            var ends = partitions.ToDictionary(p => p.PartitionId, p => reader.QueryWatermarkOffsets(new TopicPartition(options.DeadLetterTopic, p.PartitionId), options.RequestTimeout).High.Value);
            var open = ends.Where(end => end.Value > 0).Select(end => end.Key).ToHashSet();
            reader.Assign(open.Select(p => new TopicPartitionOffset(options.DeadLetterTopic, p, Offset.Beginning)));
            var expected = Encoding.UTF8.GetBytes(readerProvider);
            var records = new HashSet<(string Partition, string Offset)>();
            while (open.Count > 0)
            {
                var record = reader.Consume(options.RequestTimeout) ?? throw new TimeoutException($"Reading {options.DeadLetterTopic} timed out.");
                if (record.IsPartitionEOF || record.Offset.Value + 1 >= ends[record.Partition.Value])
                {
                    open.Remove(record.Partition.Value);
                }

                var headers = record.Message?.Headers;
                if (!record.IsPartitionEOF && headers is not null && headers.TryGetLastBytes("reader", out var deadReader) && deadReader.AsSpan().SequenceEqual(expected)
                    && headers.TryGetLastBytes("partition", out var partition) && headers.TryGetLastBytes("offset", out var offset))
                {
                    records.Add((Encoding.UTF8.GetString(partition), Encoding.UTF8.GetString(offset)));
                }
            }

            return (long)records.Count;
        }).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Task? opened;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            opened = opening;
        }

        await closing.CancelAsync().ConfigureAwait(false);
        if (opened is not null)
        {
            await opened.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Task.Run(() =>
        {
            if (producer is not null)
            {
                // What grains published before the silo stopped is sent (or fails its sender) before the producer goes.
                producer.Flush(options.AppendTimeout);
                producer.Dispose();
            }

            watermarks?.Dispose();
            List<KafkaGroupConsumer> groups;
            lock (gate)
            {
                groups = [.. groupConsumers.Values];
                groupConsumers.Clear();
            }

            foreach (var group in groups)
            {
                group.Dispose();
            }
        }).ConfigureAwait(false);
        closing.Dispose();
    }

    public override string ToString() => $"Kafka log {options.Topic} on {options.BootstrapServers}";

    private IProducer<byte[], byte[]> Producer
    {
        get
        {
            // Every append comes here: the common case (open, no fatal error since) takes no lock.
            if (Volatile.Read(ref producer) is { } open && !Volatile.Read(ref producerFailed))
            {
                return open;
            }

            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                var current = producer ?? throw new InvalidOperationException($"The {this} is not open yet: its stream providers open it as the silo starts.");
                if (producerFailed)
                {
                    producerFailed = false;
                    producer = CreateProducer();
                    _ = Task.Run(current.Dispose);
                }

                return producer;
            }
        }
    }

    private IConsumer<byte[], byte[]> Watermarks => watermarks ?? throw new InvalidOperationException($"The {this} is not open yet.");

    private async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var admin = CreateAdmin();
            await CreateTopicAsync(admin, options.Topic, options.Queues, cancellationToken).ConfigureAwait(false);
            await CreateTopicAsync(admin, options.DeadLetterTopic, 1, cancellationToken).ConfigureAwait(false);
            CheckPartitions(admin);
        }
        catch (KafkaException ex)
        {
            throw new LogUnavailableException(
                $"Kafka at {options.BootstrapServers} did not answer ({ex.Error.Reason}): check ChatCluster:Kafka:BootstrapServers, its security settings, and that the brokers run.", ex);
        }

        producer = CreateProducer();
        watermarks = new ConsumerBuilder<byte[], byte[]>(options.Apply(new ConsumerConfig { GroupId = $"{options.Topic}-positions", EnableAutoCommit = false }))
            .SetLogHandler((_, message) => LogClient(message))
            .Build();
        LogOpened(options.Topic, options.Queues, options.BootstrapServers);
    }

    // Where the brokers allow it; a broker that refuses (no rights, no admin API, a policy) leaves the topic to its operator.
    private async Task CreateTopicAsync(IAdminClient admin, string topic, int partitions, CancellationToken cancellationToken)
    {
        var spec = new TopicSpecification
        {
            Name = topic,
            NumPartitions = partitions,
            ReplicationFactor = options.ReplicationFactor,
            Configs = new Dictionary<string, string>
            {
                ["retention.ms"] = ((long)options.Retention.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                ["min.insync.replicas"] = options.MinInSyncReplicas.ToString(CultureInfo.InvariantCulture),
            },
        };
        try
        {
            await admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = options.RequestTimeout, OperationTimeout = options.RequestTimeout })
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            LogTopicCreated(topic, partitions, options.ReplicationFactor);
        }
        catch (CreateTopicsException ex) when (ex.Results.All(result => result.Error.Code == ErrorCode.TopicAlreadyExists))
        {
        }
        catch (KafkaException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogTopicNotCreated(topic, ex.Error.Reason);
        }
    }

    private void CheckPartitions(IAdminClient admin)
    {
        var topic = admin.GetMetadata(options.Topic, options.RequestTimeout).Topics.Single();
        if (topic.Error.IsError || topic.Partitions.Count == 0)
        {
            throw new OrleansConfigurationException(
                $"The Kafka topic {options.Topic} is not there ({topic.Error.Reason}) and could not be created: create it with {options.Queues} partitions, or let the silo create it.");
        }

        if (topic.Partitions.Count != options.Queues)
        {
            throw new OrleansConfigurationException(
                $"The Kafka topic {options.Topic} has {topic.Partitions.Count} partitions, but the log is set to {options.Queues} queues "
                + $"(ChatCluster:Streams:Partitions): each Orleans queue is one partition, so they must be equal. Set it to {topic.Partitions.Count}, or use another topic.");
        }
    }

    private IProducer<byte[], byte[]> CreateProducer()
    {
        IProducer<byte[], byte[]>? created = null;
        created = new ProducerBuilder<byte[], byte[]>(options.Apply(new ProducerConfig
        {
            ClientId = "chatcluster-log",
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = options.Linger.TotalMilliseconds,
            MessageTimeoutMs = (int)options.AppendTimeout.TotalMilliseconds,
        }))
            .SetLogHandler((_, message) => LogClient(message))
            .SetErrorHandler((_, error) =>
            {
                LogClientError(error);
                if (error.IsFatal)
                {
                    // An idempotent producer that hit a fatal error fails every append after it: the next append makes a new one.
                    lock (gate)
                    {
                        if (ReferenceEquals(producer, created))
                        {
                            producerFailed = true;
                        }
                    }
                }
            })
            .Build();
        return created;
    }

    private IAdminClient CreateAdmin() => new AdminClientBuilder(options.Apply(new AdminClientConfig()))
        .SetLogHandler((_, message) => LogClient(message))
        .Build();

    private void CheckQueue(int queue)
    {
        if ((uint)queue >= (uint)Queues)
        {
            throw new ArgumentOutOfRangeException(nameof(queue), queue, $"The log has queues 0 to {Queues - 1}.");
        }
    }

    // librdkafka's syslog levels: 0-3 errors, 4 warnings, 5-6 notices and information, 7 debug.
    private void LogClient(LogMessage message)
    {
        var level = message.Level switch
        {
            <= SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        LogClientMessage(level, message.Name, message.Facility, message.Message);
    }

    private void LogClientError(Error error)
    {
        if (error.IsFatal)
        {
            LogFatal(error.Code, error.Reason);
        }
        else
        {
            LogTransient(error.Code, error.Reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka log: topic {Topic}, {Queues} partitions, brokers {Brokers}")]
    private partial void LogOpened(string topic, int queues, string brokers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka log: created topic {Topic} with {Partitions} partitions, replication {Replication}")]
    private partial void LogTopicCreated(string topic, int partitions, short replication);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka log: topic {Topic} not created ({Reason}); using it as the brokers have it")]
    private partial void LogTopicNotCreated(string topic, string reason);

    [LoggerMessage(Message = "librdkafka {Client} {Facility}: {Text}")]
    private partial void LogClientMessage(LogLevel level, string client, string facility, string text);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Kafka client fatal error {Code}: {Reason}")]
    private partial void LogFatal(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error {Code}: {Reason}")]
    private partial void LogTransient(ErrorCode code, string reason);
}
