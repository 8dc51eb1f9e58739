using ChatCluster.Gateway.Cluster;
using ChatCluster.Gateway.Configuration;
using ChatCluster.Grains;
using ChatCluster.Streams;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Configuration;

/// <summary>Every setting the silo reads, bound and checked at once, so that a bad value stops start-up with a message naming it.</summary>
public sealed record SiloSettings(
    RuntimeOptions Runtime, StorageOptions Storage, StreamsOptions Streams, ChatOptions Chat, ClusterSettings Cluster, RedisSettings Redis, KafkaLogOptions Kafka)
{
    /// <summary>The section of the Kafka log's settings (<see cref="KafkaLogOptions"/>; its queues are <c>ChatCluster:Streams:Partitions</c>).</summary>
    public const string KafkaSection = "ChatCluster:Kafka";

    /// <summary>The Redis Streams log's keys of this cluster: <c>chatcluster:{ClusterId}:…</c>.</summary>
    public string RedisLogKeyPrefix => $"{ClusterIdentity.ServiceId}:{Cluster.ClusterId}";

    /// <exception cref="OptionsValidationException">A value is missing or out of range, or settings do not fit together.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names its key.</exception>
    public static SiloSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var cluster = CheckedSettings.Read<ClusterSettings>(configuration, ClusterSettings.Section, null, o => o.Validate());
        var streams = CheckedSettings.Read<StreamsOptions>(configuration, StreamsOptions.Section,
            o => o.Provider ??= cluster.IsClustered ? StreamsProvider.Redis : StreamsProvider.Sqlite, o => o.Validate());
        var settings = new SiloSettings(
            CheckedSettings.Read<RuntimeOptions>(configuration, RuntimeOptions.Section, null, o => o.Validate()),
            CheckedSettings.Read<StorageOptions>(configuration, StorageOptions.Section, null, o => o.Validate()),
            streams,
            CheckedSettings.Read<ChatOptions>(configuration, ChatOptions.Section, null, o => o.Validate()),
            cluster,
            CheckedSettings.Read<RedisSettings>(configuration, RedisSettings.Section, null, _ => []),
            CheckedSettings.Read<KafkaLogOptions>(configuration, KafkaSection, o =>
            {
                // One topic per cluster, as the Redis log keeps one key prefix per cluster.
                if (string.IsNullOrEmpty(configuration[$"{KafkaSection}:Topic"]))
                {
                    o.Topic = $"{ClusterIdentity.ServiceId}-{cluster.ClusterId}-log";
                }

                o.Queues = streams.Partitions;
            }, _ => []));
        var problems = settings.CheckTogether().ToList();
        return problems.Count == 0 ? settings : throw new OptionsValidationException(ClusterSettings.Section, typeof(SiloSettings), problems);
    }

    /// <summary>What cluster mode and the Redis log require of the other settings; each message names the settings.</summary>
    private IEnumerable<string> CheckTogether()
    {
        const string Clustered = $"{ClusterSettings.Section}:Provider is Redis";
        if (Cluster.IsClustered)
        {
            if (Cluster.SiloPort == 0)
            {
                yield return $"{ClusterSettings.Section}:SiloPort must be set (1-65535) when {Clustered}: the port the other silos reach this one on.";
            }

            if (Storage.Provider != StorageProvider.Postgres)
            {
                yield return $"{StorageOptions.Section}:Provider is {Storage.Provider}; it must be Postgres when {Clustered} "
                    + $"(every silo reads and writes the same grain state and messages), with {StorageOptions.Section}:PostgresConnectionString.";
            }

            if (Streams.Provider == StreamsProvider.Sqlite)
            {
                yield return $"{StreamsOptions.Section}:Provider is Sqlite; it must be Redis or Kafka when {Clustered} "
                    + "(a SQLite log is one process's file, and Orleans moves the log's queues between silos).";
            }
        }
        else if (Cluster.Kubernetes)
        {
            yield return $"{ClusterSettings.Section}:Kubernetes is true; it needs {Clustered} (Kubernetes hosting is for silos of a cluster).";
        }

        if (Streams.Provider == StreamsProvider.Kafka)
        {
            foreach (var problem in Kafka.Validate())
            {
                yield return $"{KafkaSection}:{problem}";
            }
        }

        var redisNeededBy = Cluster.IsClustered ? Clustered
            : Streams.Provider == StreamsProvider.Redis ? $"{StreamsOptions.Section}:Provider is Redis" : null;
        if (redisNeededBy is not null)
        {
            foreach (var problem in Redis.Validate(redisNeededBy))
            {
                yield return problem;
            }
        }
    }

    /// <summary>Where the silo keeps what, for the start-up line: names servers and files, never a password.</summary>
    public string Describe()
    {
        var directory = Path.GetFullPath(Storage.SqliteDirectory);
        var state = Storage.Provider switch
        {
            StorageProvider.Postgres => $"grain state and messages in PostgreSQL at {PostgresServer(Storage.PostgresConnectionString!)}",
            StorageProvider.Memory => $"grain state in memory (lost on exit), messages in SQLite at {Path.Combine(directory, "messages.db")}",
            _ => $"grain state and messages in SQLite at {Path.Combine(directory, "grains.db")} and {Path.Combine(directory, "messages.db")}",
        };
        var log = Streams.Provider switch
        {
            StreamsProvider.Redis => $"the timeline log in Redis Streams at {Redis.Servers()} (keys {RedisLogKeyPrefix}:…, {Streams.Partitions} partitions)",
            StreamsProvider.Kafka => $"the timeline log in Kafka at {Kafka.BootstrapServers} (topic {Kafka.Topic}, {Streams.Partitions} partitions, {Kafka.SecurityProtocol})",
            _ => $"the timeline log in SQLite at {Path.Combine(directory, "log.db")} ({Streams.Partitions} partitions)",
        };
        var clustering = Cluster.IsClustered
            ? $"Redis clustering at {Redis.Servers()}, cluster {Cluster.ClusterId}, silo at {Cluster.AdvertisedAddress}:{Cluster.SiloPort}"
                + (Cluster.GatewayPort == 0 ? ", no client gateway" : $", client gateway on port {Cluster.GatewayPort}")
                + (Cluster.Kubernetes ? ", Kubernetes hosting" : "")
            : "embedded (localhost clustering)";
        return $"{clustering}; {state}; {log}";
    }

    private static string PostgresServer(string connectionString)
    {
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return $"{settings.Host}:{settings.Port}/{settings.Database}";
    }
}
