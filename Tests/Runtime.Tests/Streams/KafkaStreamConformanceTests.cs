using ChatCluster.Runtime.Streams.Kafka;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// The conformance suite on the Kafka provider, against the broker that <c>CHATCLUSTER_KAFKA</c> names (skipped, with
/// the reason, where it is unset). Each test has a topic prefix of its own; a restart is a new provider on the same
/// prefix, whose readers start again from the groups' committed offsets.
/// </summary>
[KafkaBrokerRequired]
public sealed class KafkaStreamConformanceTests : StreamConformanceTests
{
    private readonly string prefix = KafkaBroker.UniquePrefix();

    protected override IStreamProvider CreateProvider(int partitions) => Create(partitions);

    protected override IStreamProvider Reopen(IStreamProvider provider) => Create(provider.Partitions);

    private KafkaStreamProvider Create(int partitions) => new(new KafkaStreamOptions
    {
        BootstrapServers = KafkaBroker.BootstrapServers ?? "127.0.0.1:9092",
        TopicPrefix = prefix,
        Partitions = partitions,
    });
}
