namespace ChatCluster.Streams.Tests.Kafka;

/// <summary>The Kafka log's options in these tests: 4 partitions (what the test broker gives a topic it creates itself), one replica.</summary>
internal static class KafkaTestOptions
{
    public const int Queues = 4;

    public static void Apply(KafkaLogOptions options, string bootstrapServers, string topic)
    {
        options.BootstrapServers = bootstrapServers;
        options.Topic = topic;
        options.Queues = Queues;

        // One replica, so that a real single broker (CHATCLUSTER_KAFKA) creates the topics as well.
        options.ReplicationFactor = 1;
        options.MinInSyncReplicas = 1;
        options.RequestTimeout = TimeSpan.FromSeconds(5);

        // The test broker holds a fetch for its whole wait even when records arrive (see KafkaLogOptions.FetchWait).
        options.FetchWait = TimeSpan.FromMilliseconds(5);
    }
}
