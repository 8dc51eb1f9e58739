using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Silo.Configuration;

/// <summary>
/// Configuration section <c>ChatCluster:Streams</c>: which stream provider the silo uses. The Redis provider's
/// own settings (partitions, key prefix, …) are in the same section (<see cref="Runtime.Streams.Redis.RedisStreamOptions"/>);
/// the Kafka provider's are in <c>ChatCluster:Kafka</c> (<see cref="Runtime.Streams.Kafka.KafkaStreamOptions"/>).
/// </summary>
public sealed class StreamsOptions
{
    public const string Section = "ChatCluster:Streams";

    /// <summary><c>Sqlite</c>, <c>Redis</c> or <c>Kafka</c>; when not given, <c>Redis</c> in cluster mode (<c>ChatCluster:Cluster:Provider</c> = <c>Redis</c>), else <c>Sqlite</c>.</summary>
    public StreamsProvider? Provider { get; set; }

    /// <summary>The provider to use: <see cref="Provider"/> when given, else the mode's default.</summary>
    public StreamsProvider ProviderFor(ClusterProvider cluster) =>
        Provider ?? (cluster == ClusterProvider.Redis ? StreamsProvider.Redis : StreamsProvider.Sqlite);

    public IEnumerable<string> Validate()
    {
        if (Provider is { } provider && !Enum.IsDefined(provider))
        {
            yield return $"{Section}:Provider is '{provider}'; it must be one of {string.Join(", ", Enum.GetNames<StreamsProvider>())}.";
        }
    }
}
