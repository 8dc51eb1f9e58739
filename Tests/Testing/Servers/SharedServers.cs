namespace ChatCluster.Testing.Servers;

/// <summary>
/// One PostgreSQL server, one Redis server and one Kafka test broker per test process, started on first use and shared by all
/// test classes. Tests must not stop or restart them (use a private server for chaos tests) and
/// should isolate themselves (<see cref="PostgresServer.CreateUniqueDatabaseAsync"/>, key prefixes, unique topic names).
/// All are killed and their directories deleted when the process exits (each server registers
/// its own process-exit hook).
/// </summary>
public static class SharedServers
{
    private static readonly Lazy<Task<PostgresServer>> LazyPostgres =
        new(() => Task.Run(() => PostgresServer.StartAsync(CancellationToken.None)), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<Task<RedisServer>> LazyRedis =
        new(() => Task.Run(() => RedisServer.StartAsync(appendOnly: false, CancellationToken.None)), LazyThreadSafetyMode.ExecutionAndPublication);

    // No pre-created topics: the shared broker auto-creates a topic with 4 partitions on first use; a test that needs
    // another partition count starts its own broker with that topic (it starts in well under a second).
    private static readonly Lazy<Task<KafkaTestBroker>> LazyKafka =
        new(() => Task.Run(() => KafkaTestBroker.StartAsync(topics: null, CancellationToken.None)), LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<PostgresServer> Postgres => LazyPostgres.Value;

    public static Task<RedisServer> Redis => LazyRedis.Value;

    /// <summary>The shared Kafka broker (the one <c>CHATCLUSTER_KAFKA</c> names, if set).</summary>
    public static Task<KafkaTestBroker> Kafka => LazyKafka.Value;
}
