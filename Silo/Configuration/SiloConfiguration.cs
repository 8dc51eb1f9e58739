using ChatCluster.Grains;
using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Streams.Kafka;
using ChatCluster.Runtime.Streams.Redis;
using ChatCluster.Runtime.Transport;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Configuration;

/// <summary>Reads and checks the silo's settings, so that a bad value stops start-up with a message that names it.</summary>
public static class SiloConfiguration
{
    /// <summary>The storage settings, bound and validated.</summary>
    /// <exception cref="OptionsValidationException">A value is missing or out of range.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names its key.</exception>
    public static StorageOptions ReadStorage(IConfiguration configuration) =>
        CheckedSettings.Read<StorageOptions>(configuration, StorageOptions.Section, null, o => o.Validate());

    /// <summary>
    /// Cluster mode when <c>ChatCluster:Cluster:Provider</c> is <c>Redis</c>: the silo transport listens at
    /// <c>ChatCluster:Transport</c> (its port must be set: other silos reach this one there), membership lives in
    /// Redis (<c>ChatCluster:Redis</c>), and calls go to each grain's owner. Grains move between silos, so their
    /// state must be in storage every silo shares: PostgreSQL. With <c>Local</c> (the default) nothing is added:
    /// the embedded silo runs every grain itself.
    /// </summary>
    /// <exception cref="OptionsValidationException">A cluster setting is bad or does not fit the storage; the message names it.</exception>
    public static GrainRuntimeBuilder AddConfiguredClustering(this GrainRuntimeBuilder builder, IConfiguration configuration, StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(storage);
        var cluster = ClusterOptions.Read(configuration);
        if (cluster.Provider != ClusterProvider.Redis)
        {
            return builder;
        }

        var transport = CheckedSettings.Read<TransportOptions>(configuration, TransportOptions.Section, null, o => o.Validate());
        var problems = new List<string>();
        if (transport.Port == 0)
        {
            problems.Add($"{TransportOptions.Section}:Port must be set (not 0) when {ClusterOptions.Section}:Provider is Redis: the other silos reach this silo at that port.");
        }

        if (storage.Provider != StorageProvider.Postgres)
        {
            problems.Add($"{StorageOptions.Section}:Provider is {storage.Provider}; it must be Postgres when {ClusterOptions.Section}:Provider is Redis, because grains move between silos and their state must move with them.");
        }

        if (problems.Count > 0)
        {
            throw new OptionsValidationException(ClusterOptions.Section, typeof(ClusterOptions), problems);
        }

        return builder
            .AddTransport(configuration)
            .UseRedisClustering(configuration, transport.ListenAddress, transport.Port);
    }

    /// <summary>True when the settings make this process a gateway: <c>ChatCluster:Cluster:Role</c> is <c>Client</c>.</summary>
    /// <exception cref="OptionsValidationException">A cluster setting is bad; the message names it.</exception>
    public static bool IsGatewayProcess(IConfiguration configuration) => ClusterOptions.Read(configuration).Role == ClusterRole.Client;

    /// <summary>
    /// A gateway process: the transport listens at <c>ChatCluster:Transport</c> (its port must be set: silos push
    /// to this gateway's connections there) and membership in Redis is watched, not joined; every grain call
    /// goes to its owner silo.
    /// </summary>
    /// <exception cref="OptionsValidationException">A cluster setting is bad; the message names it.</exception>
    public static GrainRuntimeBuilder AddConfiguredClusterClient(this GrainRuntimeBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var cluster = ClusterOptions.Read(configuration);
        var transport = CheckedSettings.Read<TransportOptions>(configuration, TransportOptions.Section, null, o => o.Validate());
        var problems = new List<string>();
        if (cluster.Provider != ClusterProvider.Redis)
        {
            problems.Add($"{ClusterOptions.Section}:Role is Client, so {ClusterOptions.Section}:Provider must be Redis (a gateway process calls the silos of a cluster); it is {cluster.Provider}.");
        }

        if (transport.Port == 0)
        {
            problems.Add($"{TransportOptions.Section}:Port must be set (not 0) when {ClusterOptions.Section}:Role is Client: silos push to this gateway's connections at that port.");
        }

        if (problems.Count > 0)
        {
            throw new OptionsValidationException(ClusterOptions.Section, typeof(ClusterOptions), problems);
        }

        return builder
            .AddTransport(configuration)
            .UseRedisClustering(configuration, transport.ListenAddress, transport.Port);
    }

    /// <summary>
    /// Adds the stream provider (the message log) <c>ChatCluster:Streams:Provider</c> asks for: <c>Sqlite</c>
    /// (<c>log.db</c> in the SQLite folder; the embedded default), <c>Redis</c> (Redis Streams on the
    /// <c>ChatCluster:Redis</c> server, settings in <c>ChatCluster:Streams</c>; the default when
    /// <c>ChatCluster:Cluster:Provider</c> is <c>Redis</c>) or <c>Kafka</c> (settings in <c>ChatCluster:Kafka</c>; in cluster
    /// mode the topic prefix is <c>chatcluster-{ClusterId}</c> unless configured).
    /// </summary>
    /// <exception cref="OptionsValidationException">A stream, Redis or Kafka setting is bad; the message names it.</exception>
    public static GrainRuntimeBuilder AddConfiguredStreams(this GrainRuntimeBuilder builder, IConfiguration configuration, StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(storage);
        var streams = CheckedSettings.Read<StreamsOptions>(configuration, StreamsOptions.Section, null, o => o.Validate());
        var cluster = ClusterOptions.Read(configuration).Provider;
        switch (streams.ProviderFor(cluster))
        {
            case StreamsProvider.Sqlite:
                return builder.AddSqliteStreams(Path.Combine(storage.SqliteDirectory, "log.db"));
            case StreamsProvider.Kafka:
                return builder.AddConfiguredKafkaStreams(configuration, cluster);
        }

        // In cluster mode, unless configured: keys under the cluster's prefix (as membership's), the silo's transport
        // address as its consumer name (stable across restarts of the silo), and appends fenced by membership.
        var named = configuration[$"{StreamsOptions.Section}:ConsumerName"] is not null;
        var prefixed = configuration[$"{StreamsOptions.Section}:KeyPrefix"] is not null;
        var clusterOptions = ClusterOptions.Read(configuration);
        var transport = CheckedSettings.Read<TransportOptions>(configuration, TransportOptions.Section, null, o => o.Validate());
        return builder.AddRedisStreams(configuration, o =>
        {
            if (cluster != ClusterProvider.Redis)
            {
                return;
            }

            if (!prefixed)
            {
                o.KeyPrefix = $"chatcluster:{clusterOptions.ClusterId}";
            }

            // Grains publish only while the silo incarnation they activated under is alive in the membership table.
            o.MembershipKey ??= RedisMembershipTable.MembersKey(clusterOptions.KeyPrefix);

            if (!named && transport.Port != 0)
            {
                o.ConsumerName = $"{transport.ListenAddress}:{transport.Port}";
            }
        });
    }

    /// <summary>
    /// Kafka streams from <c>ChatCluster:Kafka</c>; in cluster mode, unless <c>ChatCluster:Kafka:TopicPrefix</c> is set,
    /// the topics (and consumer groups) are under the cluster's prefix <c>chatcluster-{ClusterId}</c> ('.' in the cluster
    /// id becomes '-': a topic prefix has no dots), as the Redis keys are under the cluster's.
    /// </summary>
    private static GrainRuntimeBuilder AddConfiguredKafkaStreams(this GrainRuntimeBuilder builder, IConfiguration configuration, ClusterProvider cluster)
    {
        var prefixed = configuration[$"{KafkaStreamOptions.Section}:{nameof(KafkaStreamOptions.TopicPrefix)}"] is not null;
        var clusterId = ClusterOptions.Read(configuration).ClusterId;
        return builder.AddKafkaStreams(configuration, o =>
        {
            if (cluster == ClusterProvider.Redis && !prefixed)
            {
                o.TopicPrefix = $"chatcluster-{clusterId.Replace('.', '-')}";
            }
        });
    }

    /// <summary>
    /// Adds the storage the settings ask for: grain state and messages in SQLite, PostgreSQL or memory.
    /// The message log is added by <see cref="AddConfiguredStreams"/>.
    /// </summary>
    public static GrainRuntimeBuilder AddConfiguredStorage(this GrainRuntimeBuilder builder, StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var directory = storage.SqliteDirectory;
        return storage.Provider switch
        {
            StorageProvider.Postgres => builder
                .AddPostgresGrainStorage(storage.PostgresConnectionString!)
                .AddPostgresMessageStore(storage.PostgresConnectionString!),
            StorageProvider.Memory => builder
                .AddMemoryGrainStorage()
                .AddSqliteMessageStore(Path.Combine(directory, "messages.db")),
            _ => builder
                .AddSqliteGrainStorage(Path.Combine(directory, "grains.db"))
                .AddSqliteMessageStore(Path.Combine(directory, "messages.db")),
        };
    }
}
