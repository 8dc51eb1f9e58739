namespace ChatCluster.TestBroker;

/// <summary>A topic to create before the broker reports ready: <c>--topic NAME:PARTITIONS[:REPLICATION]</c>.</summary>
internal sealed record TopicSpec(string Name, int Partitions, int ReplicationFactor);
