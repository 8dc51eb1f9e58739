using System.Net;
using System.Net.Sockets;
using ChatCluster.Grains;
using ChatCluster.Storage;
using ChatCluster.Streams;

namespace ChatCluster.Silo.Configuration;

/// <summary>Wires an Orleans silo as the settings ask: clustering, grain storage, the timeline log and the chat.</summary>
public static class SiloWiringExtensions
{
    /// <summary>
    /// Orleans' service id: grain state in PostgreSQL is keyed by it, so every silo and every run of the service uses
    /// this one (a cluster id may change between deployments; the service id may not).
    /// </summary>
    public const string ServiceId = "chatcluster";

    /// <summary>
    /// The embedded silo: localhost clustering on a free loopback port (nothing outside the process talks to it, and
    /// no client gateway is opened), and the chat as <see cref="AddChatSilo"/> wires it.
    /// </summary>
    public static ISiloBuilder AddEmbeddedChatSilo(this ISiloBuilder silo, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return silo.UseLocalhostClustering(siloPort: FreeLoopbackPort(), gatewayPort: 0, serviceId: ServiceId, clusterId: ServiceId).AddChatSilo(settings);
    }

    /// <summary>
    /// The chat on a silo whose clustering is set elsewhere (the embedded host, a test cluster): runtime settings,
    /// grain state and messages as <see cref="StorageOptions"/> say, the timeline log in SQLite with the chat's readers
    /// and <paramref name="extraReaders"/> (consumer groups of grains that developers add, see docs/writing-grains.md).
    /// </summary>
    public static ISiloBuilder AddChatSilo(this ISiloBuilder silo, SiloSettings settings, params LogReader[] extraReaders)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Runtime.ApplyTo(silo);

        var storage = settings.Storage;
        var directory = storage.SqliteDirectory;
        switch (storage.Provider)
        {
            case StorageProvider.Postgres:
                silo.AddPostgresGrainStorage(ChatStorage.Name, storage.PostgresConnectionString!)
                    .AddPostgresMessageStore(storage.PostgresConnectionString!);
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

        silo.AddSqliteLog(
            TimelineStreams.Provider,
            o =>
            {
                o.DatabasePath = Path.Combine(directory, "log.db");
                o.Queues = settings.Streams.Partitions;
            },
            [.. Grains.ChatSiloBuilderExtensions.TimelineReaders, .. extraReaders]);
        return silo.AddChat(settings.Chat);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
