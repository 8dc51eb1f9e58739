namespace ChatCluster.Silo.Configuration;

/// <summary>Configuration section <c>ChatCluster:Streams</c>: which log the silo's Orleans streams run on, and its partitions.</summary>
public sealed class StreamsOptions
{
    public const string Section = "ChatCluster:Streams";

    /// <summary><c>Sqlite</c> (the embedded default); <c>Redis</c> and <c>Kafka</c> are being moved to Orleans and refused for now.</summary>
    public StreamsProvider Provider { get; set; } = StreamsProvider.Sqlite;

    /// <summary>Partitions of the log (Orleans queues); fixed once the log holds records.</summary>
    public int Partitions { get; set; } = 8;

    public IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            yield return $"{Section}:Provider is '{Provider}'; it must be one of {string.Join(", ", Enum.GetNames<StreamsProvider>())}.";
        }
        else if (Provider != StreamsProvider.Sqlite)
        {
            yield return $"{Section}:Provider is {Provider}; this build runs the log on SQLite only: the Redis Streams and Kafka logs are being moved to Orleans (see the README's status).";
        }

        if (Partitions is < 1 or > 1024)
        {
            yield return $"{Section}:Partitions is {Partitions}; it must be between 1 and 1024.";
        }
    }
}
