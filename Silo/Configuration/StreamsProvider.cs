namespace ChatCluster.Silo.Configuration;

/// <summary>Where the silo keeps its streams (the message log).</summary>
public enum StreamsProvider
{
    /// <summary>A SQLite file (<c>log.db</c> in the SQLite folder): the embedded default, one process.</summary>
    Sqlite,
    /// <summary>Redis Streams on <c>ChatCluster:Redis:Configuration</c>: the default in cluster mode.</summary>
    Redis,
    /// <summary>Kafka on <c>ChatCluster:Kafka</c>: the production log.</summary>
    Kafka,
}
