namespace ChatCluster.Silo.Configuration;

/// <summary>Configuration section <c>ChatCluster:Streams</c>: which log the silo's Orleans streams run on, and its partitions.</summary>
public sealed class StreamsOptions
{
    public const string Section = "ChatCluster:Streams";

    /// <summary>
    /// <c>Sqlite</c> (the default of the embedded silo) or <c>Redis</c> (Redis Streams, the default in cluster mode);
    /// <c>Kafka</c> is being moved to Orleans and refused for now. Null until <see cref="SiloSettings.Read"/> sets the default.
    /// </summary>
    public StreamsProvider? Provider { get; set; }

    /// <summary>Partitions of the log (Orleans queues); fixed once the log holds records.</summary>
    public int Partitions { get; set; } = 8;

    public IEnumerable<string> Validate()
    {
        if (Provider is { } provider && !Enum.IsDefined(provider))
        {
            yield return $"{Section}:Provider is '{provider}'; it must be one of {string.Join(", ", Enum.GetNames<StreamsProvider>())}.";
        }
        else if (Provider == StreamsProvider.Kafka)
        {
            yield return $"{Section}:Provider is Kafka; this build runs the log on SQLite or Redis Streams: the Kafka log is being moved to Orleans (see the README's status).";
        }

        if (Partitions is < 1 or > 1024)
        {
            yield return $"{Section}:Partitions is {Partitions}; it must be between 1 and 1024.";
        }
    }
}
