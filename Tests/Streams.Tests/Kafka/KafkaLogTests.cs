using ChatCluster.Streams.Tests.Conformance;
using ChatCluster.Testing.Servers;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;
using Xunit;

namespace ChatCluster.Streams.Tests.Kafka;

/// <summary>The Kafka log and its receivers without a silo, on the process's test broker with a topic per test.</summary>
public sealed class KafkaLogTests : IAsyncLifetime
{
    private static readonly LogReader Reader = new("persist", TestNamespaces.Source, TestNamespaces.Persist);

    private readonly string topic = $"kafkalog-{Guid.NewGuid():N}";
    private readonly ServiceProvider services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(KafkaLog).Assembly).AddAssembly(typeof(TestEvent).Assembly))
        .BuildServiceProvider();

    private readonly List<KafkaLog> logs = [];
    private readonly List<StreamConsumerLag> lags = [];
    private string? bootstrapServers;

    private LogRecordCodec Codec => new(services.GetRequiredService<Serializer>());

    public async Task InitializeAsync() => bootstrapServers = (await SharedServers.Kafka).BootstrapServers;

    public async Task DisposeAsync()
    {
        foreach (var lag in lags)
        {
            await lag.DisposeAsync();
        }

        foreach (var log in logs)
        {
            await log.DisposeAsync();
        }

        await services.DisposeAsync();
    }

    [Fact]
    public async Task Offsets_start_at_one_per_partition_and_the_end_is_the_last_record()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 3; i++)
        {
            await AppendAsync(log, queue: 2, "s2", i);
        }

        Assert.Equal(3, await log.GetEndAsync(2, CancellationToken.None));
        Assert.Equal(0, await log.GetEndAsync(0, CancellationToken.None));
        Assert.Equal(0, await log.GetCheckpointAsync(Reader.ProviderName, 2, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.GetEndAsync(KafkaTestOptions.Queues, CancellationToken.None));
    }

    [Fact]
    public async Task A_topic_with_another_partition_count_stops_the_start_and_says_what_to_set()
    {
        await OpenAsync();
        var other = Create(options => options.Queues = 8);

        var error = await Assert.ThrowsAsync<OrleansConfigurationException>(() => other.OpenAsync(CancellationToken.None));
        Assert.Contains($"{topic} has {KafkaTestOptions.Queues} partitions", error.Message, StringComparison.Ordinal);
        Assert.Contains("8 queues", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Streams:Partitions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receiver_starts_after_the_committed_offset_and_commits_only_what_was_delivered()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(log, queue: 1, "s1", i);
        }

        var first = Receiver(log, 1);
        await first.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        var read = await ReadAsync(first, 5);
        Assert.Equal([1L, 2, 3, 4, 5], read.Select(container => container.Offset));
        Assert.Equal([0, 1, 2, 3, 4], read.Select(container => Assert.IsType<TestEvent>(Assert.Single(container.Events)).Counter));

        await first.MessagesDeliveredAsync([.. read.Take(3)], CancellationToken.None);
        Assert.Equal(3, await log.GetCheckpointAsync(Reader.ProviderName, 1, CancellationToken.None));
        await first.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);

        // The next holder of the partition (another silo, after a move) reads what was not delivered, once more.
        var second = Receiver(log, 1);
        await second.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal([4L, 5], (await ReadAsync(second, 2)).Select(container => container.Offset));
        await second.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task Other_namespaces_are_skipped_and_the_committed_offset_moves_past_them()
    {
        var log = await OpenAsync();
        await AppendAsync(log, queue: 0, "s0", 0);
        var other = StreamId.Create(TestNamespaces.Other, "x");
        await log.AppendAsync(0, other, Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("r", "x", 0) }, null)), new LogRecordBody());
        await log.AppendAsync(0, other, Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("r", "x", 1) }, null)), new LogRecordBody());

        var receiver = Receiver(log, 0);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        var read = await ReadAsync(receiver, 1);
        Assert.Equal([1L], read.Select(container => container.Offset));

        // Delivering the only record of ours moves the checkpoint past the two skipped ones once they are read.
        await Eventually.WaitAsync(async () =>
        {
            Assert.Empty(await receiver.GetQueueMessagesAsync(10, CancellationToken.None));
            await receiver.MessagesDeliveredAsync([.. read], CancellationToken.None);
            return await log.GetCheckpointAsync(Reader.ProviderName, 0, CancellationToken.None) == 3;
        }, () => "the checkpoint past the skipped records");
        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_receiver_reports_the_lag_of_its_partition_while_it_holds_it()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 4; i++)
        {
            await AppendAsync(log, queue: 3, "s3", i);
        }

        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        lags.Add(lag);
        var receiver = new KafkaQueueReceiver(log, Reader, 3, Codec, lag, NullLogger.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal([(Reader.ProviderName, 3)], lag.HeldQueues);
        Assert.Equal([(Reader.ProviderName, TestNamespaces.Source, "3", 4L)], LagGauge.Read(lag));

        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Empty(lag.HeldQueues);
        Assert.Empty(LagGauge.Read(lag));
    }

    [Fact]
    public async Task Records_deleted_before_a_reader_came_to_them_are_reported_lost()
    {
        // What retention does to a reader that fell too far behind. A broker deletes the first records on request; the
        // test broker cannot, but keeps only the last 5 MiB of a partition, so 12 records of 600 KB push the first out.
        var log = await OpenAsync();
        var large = new string('x', 600_000);
        for (var i = 0; i < 12; i++)
        {
            await log.AppendAsync(2, StreamId.Create(TestNamespaces.Source, "s2"), Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("run", large, i) }, null)), new LogRecordBody());
        }

        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
        {
            try
            {
                await admin.DeleteRecordsAsync([new TopicPartitionOffset(topic, 2, 3)]);
            }
            catch (DeleteRecordsException ex) when (ex.Results.All(result => result.Error.Code == Confluent.Kafka.ErrorCode.Local_UnsupportedFeature))
            {
            }
        }

        using var lost = new StreamCounterListener(StreamMetrics.LostName);
        var logger = new CapturingLogger();
        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        lags.Add(lag);
        var receiver = new KafkaQueueReceiver(log, Reader, 2, Codec, lag, logger);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);

        var read = new List<LogBatchContainer>();
        await Eventually.WaitAsync(async () =>
        {
            read.AddRange((await receiver.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<LogBatchContainer>());
            return read.Count > 0 && read[^1].Offset == 12;
        }, () => $"read up to offset {read.LastOrDefault()?.Offset}");
        var first = read[0].Offset;
        Assert.True(first > 1, "No record was deleted: the test did not set up what it checks.");
        Assert.Equal(Enumerable.Range((int)first, 13 - (int)first).Select(offset => (long)offset), read.Select(container => container.Offset));
        Assert.Contains(logger.Messages, message => message.StartsWith($"Error: Reader persist lost records 1 to {first - 1} of partition 2", StringComparison.Ordinal));
        Assert.Equal(first - 1, lost.CountOf(Reader.ProviderName));
        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    /// <summary>
    /// librdkafka keeps a partition paused by the application through an unassign: a queue that leaves a silo while its
    /// buffer is full and comes back later is fetched again.
    /// </summary>
    [Fact]
    public async Task A_partition_given_up_while_paused_is_fetched_again_when_assigned_anew()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 8; i++)
        {
            await AppendAsync(log, queue: 0, "s0", i);
        }

        var client = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = $"{topic}-pausing", EnableAutoCommit = false }).Build();
        using var group = new KafkaGroupConsumer(client, topic, $"{topic}-pausing", bufferLimit: 4, NullLogger.Instance);
        var first = group.Assign(0, 0);
        await Eventually.WaitAsync(() => first.Paused, () => $"the first buffer full ({first.Count} records)", TimeSpan.FromSeconds(30));
        group.Unassign(first);

        var second = group.Assign(0, 0);
        var offsets = new List<long>();
        await Eventually.WaitAsync(
            () =>
            {
                while (second.TryTake(out var record))
                {
                    offsets.Add(record.Offset.Value);
                }

                return offsets.Count >= 8;
            },
            () => $"{offsets.Count} of 8 records fetched after the partition came back",
            TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 8).Select(offset => (long)offset), offsets);
    }

    [Fact]
    public void Bad_options_are_refused_each_naming_its_setting()
    {
        var options = new KafkaLogOptions
        {
            BootstrapServers = " ",
            Topic = "chat log",
            Queues = 0,
            ReplicationFactor = 2,
            MinInSyncReplicas = 3,
            AppendTimeout = TimeSpan.Zero,
            SecurityProtocol = SecurityProtocol.SaslSsl,
        };

        var errors = options.Validate().ToList();
        Assert.Contains(errors, error => error.StartsWith("BootstrapServers is required", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("Topic 'chat log' is not a Kafka topic name", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("Queues is 0", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("MinInSyncReplicas is 3", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("AppendTimeout is 00:00:00", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.StartsWith("SaslMechanism is required", StringComparison.Ordinal));
        Assert.Empty(new KafkaLogOptions { BootstrapServers = "127.0.0.1:9092" }.Validate());
    }

    [Fact]
    public async Task The_sasl_password_reaches_neither_the_log_nor_an_error()
    {
        const string password = "kafka-secret-3f9a";
        var logger = new CapturingLogger();
        var options = new KafkaLogOptions();
        KafkaTestOptions.Apply(options, bootstrapServers!, topic);
        options.SecurityProtocol = SecurityProtocol.SaslPlaintext;
        options.SaslMechanism = SaslMechanism.Plain;
        options.SaslUsername = "chat";
        options.SaslPassword = password;
        options.RequestTimeout = TimeSpan.FromSeconds(2);
        var log = new KafkaLog(options, logger);
        logs.Add(log);

        // The test broker does not speak SASL: the opening fails (or times out); what matters is what it says.
        var error = await Record.ExceptionAsync(() => log.OpenAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.NotNull(error);
        Assert.DoesNotContain(password, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, log.ToString(), StringComparison.Ordinal);
        Assert.All(logger.Messages, message => Assert.DoesNotContain(password, message, StringComparison.Ordinal));
    }

    private KafkaLog Create(Action<KafkaLogOptions>? configure = null)
    {
        var options = new KafkaLogOptions();
        KafkaTestOptions.Apply(options, bootstrapServers!, topic);
        configure?.Invoke(options);
        var log = new KafkaLog(options, NullLogger.Instance);
        logs.Add(log);
        return log;
    }

    private async Task<KafkaLog> OpenAsync()
    {
        var log = Create();
        await log.OpenAsync(CancellationToken.None);
        return log;
    }

    private KafkaQueueReceiver Receiver(KafkaLog log, int queue)
    {
        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        lags.Add(lag);
        return new KafkaQueueReceiver(log, Reader, queue, Codec, lag, NullLogger.Instance);
    }

    private Task AppendAsync(KafkaLog log, int queue, string key, int counter) =>
        log.AppendAsync(queue, StreamId.Create(TestNamespaces.Source, key), Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("run", key, counter) }, null)), new LogRecordBody());

    // The consumer fetches in the background: read until the records are there.
    private static async Task<List<LogBatchContainer>> ReadAsync(IQueueAdapterReceiver receiver, int expected)
    {
        var read = new List<LogBatchContainer>();
        await Eventually.WaitAsync(async () =>
        {
            read.AddRange((await receiver.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<LogBatchContainer>());
            return read.Count >= expected;
        }, () => $"{read.Count} of {expected} records read");
        Assert.Equal(expected, read.Count);
        return read;
    }
}
