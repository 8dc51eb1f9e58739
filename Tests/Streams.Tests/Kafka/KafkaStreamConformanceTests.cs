using ChatCluster.Streams.Tests.Conformance;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace ChatCluster.Streams.Tests.Kafka;

/// <summary>
/// The conformance suite on the Kafka log: the process's test broker (librdkafka's mock cluster, or the broker
/// <c>CHATCLUSTER_KAFKA</c> names), a topic of each test's own.
/// </summary>
public sealed class KafkaStreamConformanceTests : StreamAdapterConformanceTests
{
    private readonly string topic = $"conformance-{Guid.NewGuid():N}";
    private string? bootstrapServers;

    public KafkaStreamConformanceTests(ITestOutputHelper output) => Output = output;

    public override async Task InitializeAsync()
    {
        bootstrapServers = (await SharedServers.Kafka).BootstrapServers;
        await base.InitializeAsync();
    }

    protected override void ConfigureLog(ISiloBuilder silo, string publish, LogReader[] readers) =>
        silo.AddKafkaLog(publish, options => KafkaTestOptions.Apply(options, bootstrapServers!, topic), readers);

    protected override async Task CorruptNextRecordAsync(IServiceProvider silo, StreamId streamId)
    {
        var log = silo.GetRequiredKeyedService<KafkaLog>(Publish);
        await log.AppendAsync(log.QueueOf(streamId), streamId, [0xde, 0xad, 0xbe, 0xef], new LogRecordBody());
    }

    protected override Task<long> CountDeadLettersAsync(IServiceProvider silo, string readerProvider) =>
        silo.GetRequiredKeyedService<KafkaLog>(Publish).CountDeadLettersAsync(readerProvider);
}
