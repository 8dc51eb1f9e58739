using System.Diagnostics;
using System.Text;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Streams.Kafka;
using ChatCluster.Testing.Servers;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// What the Kafka provider promises beyond the conformance suite. The first tests need no broker (settings, the native
/// library, failures against a broker that is not there); the <see cref="KafkaFactAttribute"/> ones need
/// <c>CHATCLUSTER_KAFKA</c>.
/// </summary>
public sealed class KafkaStreamProviderTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "pa55-w0rd-never-shown";
    private readonly List<IAsyncDisposable> disposables = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public void Defaults_are_valid_and_each_bad_setting_is_named_by_its_key()
    {
        Assert.Empty(new KafkaStreamOptions().Validate());
        Assert.Equal("127.0.0.1:9092", new KafkaStreamOptions().BootstrapServers);

        var failures = new KafkaStreamOptions
        {
            BootstrapServers = "no-port",
            TopicPrefix = "has.dot",
            Partitions = 0,
            ReplicationFactor = 0,
            MessageTimeout = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromDays(2),
        }.Validate().ToList();

        foreach (var key in new[] { "BootstrapServers", "TopicPrefix", "Partitions", "ReplicationFactor", "MessageTimeout", "RequestTimeout" })
        {
            Assert.Contains(failures, f => f.StartsWith($"ChatCluster:Kafka:{key} ", StringComparison.Ordinal));
        }

        var error = Assert.Throws<OptionsValidationException>(() => new KafkaStreamProvider(new KafkaStreamOptions { Partitions = 2000 }));
        Assert.Contains("ChatCluster:Kafka:Partitions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sasl_password_is_never_in_a_message_nor_in_the_settings_text()
    {
        var options = new KafkaStreamOptions { SaslUsername = "chat", SaslPassword = Secret, SecurityProtocol = SecurityProtocol.Plaintext };
        var failures = options.Validate().ToList();
        Assert.Contains(failures, f => f.StartsWith("ChatCluster:Kafka:SecurityProtocol", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains(Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, options.ToString(), StringComparison.Ordinal);

        var half = new KafkaStreamOptions { SaslPassword = Secret, SecurityProtocol = SecurityProtocol.SaslSsl }.Validate().ToList();
        Assert.Contains(half, f => f.Contains("ChatCluster:Kafka:SaslUsername", StringComparison.Ordinal));
        Assert.DoesNotContain(half, f => f.Contains(Secret, StringComparison.Ordinal));

        Assert.Empty(new KafkaStreamOptions { SaslUsername = "chat", SaslPassword = Secret, SecurityProtocol = SecurityProtocol.SaslSsl }.Validate());
    }

    [Fact]
    public void AddKafkaStreams_reads_and_checks_its_section_when_called()
    {
        var bad = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ChatCluster:Kafka:Partitions"] = "0",
                ["ChatCluster:Kafka:BootstrapServers"] = "kafka:notaport",
            })
            .Build();
        var error = Assert.Throws<OptionsValidationException>(() => new ServiceCollection().AddGrainRuntime().AddKafkaStreams(bad));
        Assert.Contains("ChatCluster:Kafka:Partitions", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Kafka:BootstrapServers", error.Message, StringComparison.Ordinal);

        var wrongType = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ChatCluster:Kafka:Partitions"] = "eight" })
            .Build();
        var typeError = Assert.ThrowsAny<Exception>(() => new ServiceCollection().AddGrainRuntime().AddKafkaStreams(wrongType));
        Assert.Contains("Partitions", typeError.Message, StringComparison.Ordinal);

        var good = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ChatCluster:Kafka:BootstrapServers"] = "kafka-1:9092,kafka-2:9092",
                ["ChatCluster:Kafka:TopicPrefix"] = "prod-eu",
                ["ChatCluster:Kafka:Partitions"] = "16",
                ["ChatCluster:Kafka:MessageTimeout"] = "00:00:05",
            })
            .Build();
        var read = KafkaStreamOptions.Read(good, o => o.ReplicationFactor = 3);
        Assert.Equal(("kafka-1:9092,kafka-2:9092", "prod-eu", 16, 3, TimeSpan.FromSeconds(5)),
            (read.BootstrapServers, read.TopicPrefix, read.Partitions, read.ReplicationFactor, read.MessageTimeout));
        new ServiceCollection().AddGrainRuntime().AddKafkaStreams(good); // no broker is asked yet
    }

    [Fact]
    public void Topics_and_groups_are_named_under_the_prefix_and_a_namespace_kafka_cannot_name_is_refused()
    {
        var provider = new KafkaStreamProvider(new KafkaStreamOptions { TopicPrefix = "cc-1" });
        Assert.Equal("cc-1.timeline", provider.TopicOf("timeline"));
        Assert.Equal("cc-1.deadletter.persist", provider.TopicOf(DeadLetteredEvent.NamespaceOf("persist")));
        Assert.Equal("cc-1.push", provider.GroupIdOf("push"));
        Assert.True(provider.IsShared);
        var error = Assert.Throws<ArgumentException>(() => provider.TopicOf("no/slashes"));
        Assert.Contains("no/slashes", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_native_library_loads_and_a_producer_can_be_built()
    {
        var version = KafkaNativeLibrary.EnsureLoaded();
        Assert.True(Library.IsLoaded);
        Assert.StartsWith("2.", version, StringComparison.Ordinal);

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = $"127.0.0.1:{FreePort.Get()}",
            EnableIdempotence = true,
            Acks = Acks.All,
        }).SetLogHandler((_, _) => { }).Build();
        Assert.False(string.IsNullOrEmpty(producer.Name));
        await Task.CompletedTask;
    }

    [Fact(Timeout = 60_000)]
    public async Task An_append_to_a_broker_that_is_not_there_fails_with_a_message_naming_the_topic_and_the_brokers()
    {
        var servers = $"127.0.0.1:{FreePort.Get()}";
        var provider = Track(new KafkaStreamProvider(new KafkaStreamOptions
        {
            BootstrapServers = servers,
            TopicPrefix = "absent",
            MessageTimeout = TimeSpan.FromSeconds(2),
            RequestTimeout = TimeSpan.FromSeconds(2),
        }));

        var started = Stopwatch.GetTimestamp();
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            provider.AppendAsync(new StreamId("timeline", "user:alice"), Encoding.UTF8.GetBytes("{}"), CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20), $"took {Stopwatch.GetElapsedTime(started)}");
        output.WriteLine(error.Message);
        Assert.Contains("'absent.timeline'", error.Message, StringComparison.Ordinal);
        Assert.Contains(servers, error.Message, StringComparison.Ordinal);

        // Past topic creation, the producer's own delivery timeout: the same kind of failure, naming topic and brokers.
        provider.AssumeTopicExists("timeline");
        started = Stopwatch.GetTimestamp();
        var produceError = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            provider.AppendAsync(new StreamId("timeline", "user:alice"), Encoding.UTF8.GetBytes("{}"), CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20), $"took {Stopwatch.GetElapsedTime(started)}");
        output.WriteLine(produceError.Message);
        Assert.Contains("did not acknowledge the append to topic 'absent.timeline'", produceError.Message, StringComparison.Ordinal);
        Assert.Contains(servers, produceError.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<KafkaException>(produceError.InnerException);
    }

    [Fact(Timeout = 60_000)]
    public async Task Initialize_against_a_broker_that_is_not_there_fails_naming_the_brokers()
    {
        var servers = $"127.0.0.1:{FreePort.Get()}";
        var provider = Track(new KafkaStreamProvider(new KafkaStreamOptions
        {
            BootstrapServers = servers,
            SaslUsername = "chat",
            SaslPassword = Secret,
            SecurityProtocol = SecurityProtocol.SaslPlaintext,
            RequestTimeout = TimeSpan.FromSeconds(2),
        }));

        var started = Stopwatch.GetTimestamp();
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => provider.InitializeAsync(CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20), $"took {Stopwatch.GetElapsedTime(started)}");
        output.WriteLine(error.Message);
        Assert.Contains(servers, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, provider.ToString(), StringComparison.Ordinal);
    }

    [KafkaFact(Timeout = 60_000)]
    public async Task Positions_count_from_one_and_end_and_acknowledged_follow_offsets()
    {
        var provider = Track(NewProvider(KafkaBroker.UniquePrefix(), 2));
        await provider.InitializeAsync(CancellationToken.None);
        var stream = new StreamId("orders", "o-1");
        var partition = stream.PartitionOf(2);
        Assert.Equal(StreamPosition.Start, await provider.GetEndAsync("orders", partition, CancellationToken.None));

        var first = await provider.AppendAsync(stream, Encoding.UTF8.GetBytes("1"), CancellationToken.None);
        var second = await provider.AppendAsync(stream, Encoding.UTF8.GetBytes("2"), CancellationToken.None);
        Assert.Equal(new StreamPosition(0, 1), first);
        Assert.Equal(new StreamPosition(0, 2), second);
        Assert.Equal(second, await provider.GetEndAsync("orders", partition, CancellationToken.None));
        Assert.Equal(StreamPosition.Start, await provider.GetAcknowledgedAsync("projector", "orders", partition, CancellationToken.None));

        await using var reader = provider.OpenReader("projector", "orders", partition);
        var read = await reader.ReadAsync(10, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal([first, second], read.Select(e => e.Position));
        Assert.All(read, e => Assert.Equal(stream, e.Stream));
        await reader.AcknowledgeAsync(second, CancellationToken.None);
        await reader.AcknowledgeAsync(first, CancellationToken.None); // never back
        Assert.Equal(second, await provider.GetAcknowledgedAsync("projector", "orders", partition, CancellationToken.None));
    }

    [KafkaFact(Timeout = 60_000)]
    public async Task Rewind_reads_again_from_the_committed_offset()
    {
        var provider = Track(NewProvider(KafkaBroker.UniquePrefix(), 1));
        await provider.InitializeAsync(CancellationToken.None);
        var stream = new StreamId("orders", "o-1");
        for (var i = 1; i <= 3; i++)
        {
            await provider.AppendAsync(stream, Encoding.UTF8.GetBytes($"{i}"), CancellationToken.None);
        }

        await using var reader = provider.OpenReader("projector", "orders", 0);
        var all = await ReadAtLeastAsync(reader, 3);
        await reader.AcknowledgeAsync(all[0].Position, CancellationToken.None);
        reader.Rewind();
        var again = await ReadAtLeastAsync(reader, 2);
        Assert.Equal(all.Skip(1).Select(e => e.Position), again.Select(e => e.Position));
    }

    [KafkaFact(Timeout = 60_000)]
    public async Task A_topic_with_another_partition_count_is_refused_naming_the_setting()
    {
        var prefix = KafkaBroker.UniquePrefix();
        var four = Track(NewProvider(prefix, 4));
        await four.InitializeAsync(CancellationToken.None);
        await four.AppendAsync(new StreamId("orders", "o-1"), Encoding.UTF8.GetBytes("1"), CancellationToken.None);

        var two = Track(NewProvider(prefix, 2));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => two.InitializeAsync(CancellationToken.None));
        Assert.Contains("ChatCluster:Kafka:Partitions", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{prefix}.orders' has 4 partitions", error.Message, StringComparison.Ordinal);
    }

    private static KafkaStreamProvider NewProvider(string prefix, int partitions) => new(new KafkaStreamOptions
    {
        BootstrapServers = KafkaBroker.BootstrapServers ?? "127.0.0.1:9092",
        TopicPrefix = prefix,
        Partitions = partitions,
    });

    private static async Task<List<StoredStreamEvent>> ReadAtLeastAsync(IPartitionReader reader, int count)
    {
        var events = new List<StoredStreamEvent>();
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 20;
        while (events.Count < count && Stopwatch.GetTimestamp() < deadline)
        {
            events.AddRange(await reader.ReadAsync(count - events.Count, TimeSpan.FromSeconds(1), CancellationToken.None));
        }

        return events;
    }

    private T Track<T>(T disposable) where T : IAsyncDisposable
    {
        disposables.Add(disposable);
        return disposable;
    }
}
