namespace ChatCluster.Silo.Configuration;

/// <summary>Where the silo keeps its streams (the message log).</summary>
public enum StreamsProvider
{
    /// <summary>A SQLite file (<c>log.db</c> in the SQLite folder): the embedded default, one process.</summary>
    Sqlite,
    /// <summary>Redis Streams on the <c>ChatCluster:Redis</c> server: the cluster default.</summary>
    Redis,
    /// <summary>
    /// Kafka (a topic per namespace) on the brokers of <c>ChatCluster:Kafka</c>. Grain publishes are not fenced by
    /// membership on Kafka, unlike on Redis Streams (see <see cref="Runtime.Streams.Kafka.KafkaStreamProvider"/>).
    /// </summary>
    Kafka,
}
