namespace ChatCluster.Silo.Configuration;

/// <summary>Configuration section <c>ChatCluster:Streams</c>: which log the silo's Orleans streams run on, and its partitions.</summary>
public sealed class StreamsOptions
{
    public const string Section = "ChatCluster:Streams";

    /// <summary>
    /// <c>Sqlite</c> (the default of the embedded silo), <c>Redis</c> (Redis Streams, the default in cluster mode) or
    /// <c>Kafka</c> (the production log, <c>ChatCluster:Kafka</c>). Null until <see cref="SiloSettings.Read"/> sets the default.
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

        if (Partitions is < 1 or > 1024)
        {
            yield return $"{Section}:Partitions is {Partitions}; it must be between 1 and 1024.";
        }
    }
}
