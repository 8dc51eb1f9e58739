using System.Net;
using System.Net.Sockets;
using ChatCluster.Gateway.Cluster;
using ChatCluster.Grains;
using ChatCluster.Storage;
using ChatCluster.Streams;
using Orleans.Configuration;

namespace ChatCluster.Silo.Configuration;

/// <summary>Wires an Orleans silo as the settings ask: clustering, grain storage, the timeline log and the chat.</summary>
public static class SiloWiringExtensions
{
    /// <summary>
    /// The embedded silo: localhost clustering on a free loopback port (nothing outside the process talks to it, and
    /// no client gateway is opened), and the chat as <see cref="AddChatSilo"/> wires it.
    /// </summary>
    public static ISiloBuilder AddEmbeddedChatSilo(this ISiloBuilder silo, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return silo.UseLocalhostClustering(siloPort: FreeLoopbackPort(), gatewayPort: 0, serviceId: ClusterIdentity.ServiceId, clusterId: ClusterIdentity.ServiceId).AddChatSilo(settings);
    }

    /// <summary>
    /// The silo as <paramref name="settings"/> ask: embedded (<see cref="AddEmbeddedChatSilo"/>), or in cluster mode
    /// Orleans' Redis clustering (<see cref="UseRedisChatClustering"/>); then the chat as <see cref="AddChatSilo"/> wires it.
    /// </summary>
    public static ISiloBuilder AddConfiguredChatSilo(this ISiloBuilder silo, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Cluster.IsClustered ? silo.UseRedisChatClustering(settings).AddChatSilo(settings) : silo.AddEmbeddedChatSilo(settings);
    }

    /// <summary>
    /// Cluster mode: Orleans' Redis clustering on <c>ChatCluster:Redis:Configuration</c>, cluster
    /// <c>ChatCluster:Cluster:ClusterId</c> and service <see cref="ClusterIdentity.ServiceId"/>; the silo listening on and advertising
    /// <c>AdvertisedAddress</c>:<c>SiloPort</c> (and <c>GatewayPort</c> for clients, unless 0); membership tuned by
    /// <see cref="ClusterSettings"/>; and <see cref="Membership.MembershipTableWatch"/>, which reports a membership table that vanished.
    /// </summary>
    public static ISiloBuilder UseRedisChatClustering(this ISiloBuilder silo, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        var cluster = settings.Cluster;
        var redis = settings.Redis.Options();
        if (cluster.Kubernetes)
        {
            // Before the options below: Orleans applies configurations in order, and Kubernetes hosting would otherwise
            // take the service and cluster ids from ORLEANS_SERVICE_ID / ORLEANS_CLUSTER_ID instead of these settings.
            silo.UseKubernetesHosting();
        }

        silo.UseRedisClustering(o => o.ConfigurationOptions = redis)
            .Configure<ClusterOptions>(cluster.ApplyTo)
            .ConfigureEndpoints(IPAddress.Parse(cluster.AdvertisedAddress), cluster.SiloPort, cluster.GatewayPort)
            .Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = cluster.ProbeTimeout;
                o.NumMissedProbesLimit = cluster.NumMissedProbesLimit;
                o.NumVotesForDeathDeclaration = cluster.NumVotesForDeathDeclaration;
                o.TableRefreshTimeout = cluster.TableRefreshTimeout;
                o.IAmAliveTablePublishTimeout = cluster.IAmAliveTablePublishTimeout;
            });
        // Orleans only warns, for ever, when Redis has lost the membership table: say it loudly, with what to do.
        silo.Services.AddHostedService(provider => new Membership.MembershipTableWatch(
            provider.GetRequiredService<IMembershipTable>(),
            provider.GetRequiredService<ISiloStatusOracle>(),
            cluster.ClusterId,
            provider.GetRequiredService<ILogger<Membership.MembershipTableWatch>>()));
        return silo;
    }

    /// <summary>
    /// The chat on a silo whose clustering is set elsewhere (the embedded host, a test cluster): runtime settings,
    /// grain state and messages as <see cref="StorageOptions"/> say, the timeline log in SQLite, Redis Streams or Kafka
    /// (<see cref="StreamsOptions"/>) with the chat's readers
    /// and <paramref name="extraReaders"/> (consumer groups of grains that developers add, see docs/writing-grains.md).
    /// </summary>
    public static ISiloBuilder AddChatSilo(this ISiloBuilder silo, SiloSettings settings, params LogReader[] extraReaders)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Runtime.ApplyTo(silo, settings.Cluster.IsClustered);

        var storage = settings.Storage;
        var directory = storage.SqliteDirectory;
        switch (storage.Provider)
        {
            case StorageProvider.Postgres:
                var postgres = storage.PooledPostgresConnectionString();
                silo.AddPostgresGrainStorage(ChatStorage.Name, postgres).AddPostgresMessageStore(postgres);
                break;
            case StorageProvider.Memory:
                silo.AddMemoryGrainStorage(ChatStorage.Name)
                    .AddSqliteMessageStore(Path.Combine(directory, "messages.db"));
                break;
            default:
                silo.AddSqliteGrainStorage(ChatStorage.Name, Path.Combine(directory, "grains.db"))
                    .AddSqliteMessageStore(Path.Combine(directory, "messages.db"));
                break;
        }

        LogReader[] readers = [.. Grains.ChatSiloBuilderExtensions.TimelineReaders, .. extraReaders];
        if (settings.Streams.Provider == StreamsProvider.Kafka)
        {
            var kafka = settings.Kafka;
            silo.AddKafkaLog(
                TimelineStreams.Provider,
                o =>
                {
                    o.BootstrapServers = kafka.BootstrapServers;
                    o.Topic = kafka.Topic;
                    o.Queues = settings.Streams.Partitions;
                    o.ReplicationFactor = kafka.ReplicationFactor;
                    o.MinInSyncReplicas = kafka.MinInSyncReplicas;
                    o.Retention = kafka.Retention;
                    o.AppendTimeout = kafka.AppendTimeout;
                    o.Linger = kafka.Linger;
                    o.FetchWait = kafka.FetchWait;
                    o.RequestTimeout = kafka.RequestTimeout;
                    o.SecurityProtocol = kafka.SecurityProtocol;
                    o.SaslMechanism = kafka.SaslMechanism;
                    o.SaslUsername = kafka.SaslUsername;
                    o.SaslPassword = kafka.SaslPassword;
                    o.SslCaLocation = kafka.SslCaLocation;
                },
                readers);
        }
        else if (settings.Streams.Provider == StreamsProvider.Redis)
        {
            silo.AddRedisLog(
                TimelineStreams.Provider,
                o =>
                {
                    o.Configuration = settings.Redis.Configuration!;
                    o.KeyPrefix = settings.RedisLogKeyPrefix;
                    o.Queues = settings.Streams.Partitions;
                },
                readers);
        }
        else
        {
            silo.AddSqliteLog(
                TimelineStreams.Provider,
                o =>
                {
                    o.DatabasePath = Path.Combine(directory, "log.db");
                    o.Queues = settings.Streams.Partitions;
                },
                readers);
        }

        return silo.AddChat(settings.Chat);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
