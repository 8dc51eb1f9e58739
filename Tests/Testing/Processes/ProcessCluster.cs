using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Testing.Processes;

/// <summary>Where a <see cref="ProcessCluster"/>'s silos keep the timeline log.</summary>
public enum ClusterLog
{
    /// <summary>Redis Streams on the cluster's Redis (the default).</summary>
    RedisStreams,

    /// <summary>Kafka: a <see cref="KafkaTestBroker"/> of the cluster's own, started and stopped with it.</summary>
    Kafka,
}

/// <summary>
/// A cluster of real processes on loopback and free ports, under a cluster id of its own: silo processes in cluster
/// mode (Orleans' Redis clustering, PostgreSQL grain state and messages, the timeline log in Redis Streams or, with
/// <see cref="ClusterLog.Kafka"/>, in Kafka on a test broker of the cluster's own), each
/// with a silo port and a gateway port for Orleans clients, and gateway processes (Orleans clients serving
/// WebSockets). Used by the process tests and the <c>cluster-dm</c> bench. Disposing kills what is left. With private
/// servers (for chaos tests that stop them) it starts a Redis with AOF and a PostgreSQL of its own, and stops them
/// when disposed.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The silos' log queues when the settings do not say (ChatCluster:Streams:Partitions).</summary>
    public const int DefaultPartitions = 8;
    public const string SigningKey = "process-cluster-tests-signing-key-0123456789";
    private readonly string redisConfiguration;
    private readonly string database;
    private readonly Dictionary<string, string> extraSettings;
    private readonly List<HttpClient> clients = [];
    private RedisServer? ownRedis;
    private PostgresServer? ownPostgres;
    private KafkaTestBroker? ownKafka;

    private ProcessCluster(string redisConfiguration, string database, Dictionary<string, string> extraSettings, ClusterLog log)
    {
        this.redisConfiguration = redisConfiguration;
        this.database = database;
        this.extraSettings = extraSettings;
        Log = log;
    }

    /// <summary>Where the silos keep the timeline log.</summary>
    public ClusterLog Log { get; }

    /// <summary>The cluster's Kafka test broker (with <see cref="ClusterLog.Kafka"/>).</summary>
    public KafkaTestBroker Kafka => ownKafka ?? throw new InvalidOperationException("This cluster keeps its log in Redis Streams; start it with ClusterLog.Kafka for a Kafka broker.");

    /// <summary>The Kafka topic of the timeline log (with <see cref="ClusterLog.Kafka"/>): the silos' default name for the cluster id.</summary>
    public string KafkaTopic => $"chatcluster-{ClusterId}-log";

    /// <summary>The cluster's own Redis (with <c>privateServers</c>), which a test may stop and start again.</summary>
    public RedisServer Redis => ownRedis ?? throw new InvalidOperationException("This cluster uses a shared Redis; start it with privateServers: true to stop or restart it.");

    /// <summary>The cluster's own PostgreSQL (with <c>privateServers</c>), which a test may stop and start again.</summary>
    public PostgresServer Postgres => ownPostgres ?? throw new InvalidOperationException("This cluster uses a shared PostgreSQL; start it with privateServers: true to stop or restart it.");

    /// <summary>The connection string of the database holding grain state and messages.</summary>
    public string Database => database;

    /// <summary>Orleans' cluster id of these processes (also the key prefix of their log in Redis).</summary>
    public string ClusterId { get; } = "tests-" + Guid.NewGuid().ToString("N")[..8];

    public List<SiloProcess> Silos { get; } = [];

    public List<SiloProcess> Gateways { get; } = [];

    /// <summary>Where WebSocket clients connect: the gateway processes, or the silos when there are none (silos serve WebSockets too; the bench's <c>--gateways 0</c>).</summary>
    public IReadOnlyList<SiloProcess> Endpoints => Gateways.Count > 0 ? Gateways : Silos;

    /// <summary>
    /// Starts <paramref name="silos"/> silos and <paramref name="gateways"/> gateways on the test process's shared Redis
    /// and a new database of its shared PostgreSQL, and waits until every process sees all silos.
    /// </summary>
    /// <remarks>
    /// With <paramref name="privateServers"/>, on a Redis (AOF on) and a PostgreSQL started for this cluster alone. With
    /// <paramref name="log"/> <see cref="ClusterLog.Kafka"/>, the silos keep the timeline log in Kafka on a test broker
    /// started for this cluster alone (Redis still holds the membership table and the gateways' silo list).
    /// </remarks>
    public static async Task<ProcessCluster> StartAsync(
        int silos, int gateways, Dictionary<string, string>? settings = null, bool privateServers = false, ClusterLog log = ClusterLog.RedisStreams)
    {
        if (privateServers)
        {
            var ownRedis = await RedisServer.StartAsync(appendOnly: true).ConfigureAwait(false);
            PostgresServer? ownPostgres = null;
            try
            {
                ownPostgres = await PostgresServer.StartAsync().ConfigureAwait(false);
                var ownDatabase = await ownPostgres.CreateUniqueDatabaseAsync("cluster").ConfigureAwait(false);
                var own = new ProcessCluster(ownRedis.Endpoint, ownDatabase, settings ?? [], log) { ownRedis = ownRedis, ownPostgres = ownPostgres };
                return await own.StartProcessesAsync(silos, gateways).ConfigureAwait(false);
            }
            catch
            {
                await ownRedis.DisposeAsync().ConfigureAwait(false);
                if (ownPostgres is not null)
                {
                    await ownPostgres.DisposeAsync().ConfigureAwait(false);
                }

                throw;
            }
        }

        var redis = await SharedServers.Redis.ConfigureAwait(false);
        var database = await (await SharedServers.Postgres.ConfigureAwait(false)).CreateUniqueDatabaseAsync("cluster").ConfigureAwait(false);
        return await new ProcessCluster(redis.Endpoint, database, settings ?? [], log).StartProcessesAsync(silos, gateways).ConfigureAwait(false);
    }

    /// <summary>
    /// The same on the Redis of <paramref name="redisConfiguration"/> (a StackExchange.Redis configuration string, e.g.
    /// <c>127.0.0.1:6390</c>) and the PostgreSQL database of <paramref name="postgresConnectionString"/>.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(
        string redisConfiguration, string postgresConnectionString, int silos, int gateways, Dictionary<string, string>? settings = null)
    {
        var cluster = new ProcessCluster(redisConfiguration, postgresConnectionString, settings ?? [], ClusterLog.RedisStreams);
        return await cluster.StartProcessesAsync(silos, gateways).ConfigureAwait(false);
    }

    private async Task<ProcessCluster> StartProcessesAsync(int silos, int gateways)
    {
        try
        {
            if (Log == ClusterLog.Kafka)
            {
                // The test broker has no topic API and would auto-create the log topic with 4 partitions: it is made
                // here with the silos' partition count, and its dead-letter topic with one.
                var partitions = extraSettings.TryGetValue("CHATCLUSTER__STREAMS__PARTITIONS", out var configured)
                    ? int.Parse(configured, CultureInfo.InvariantCulture)
                    : DefaultPartitions;
                ownKafka = await KafkaTestBroker.StartAsync([(KafkaTopic, partitions), ($"{KafkaTopic}-dead-letters", 1)]).ConfigureAwait(false);
            }

            for (var i = 0; i < silos; i++)
            {
                Silos.Add(StartSilo());
            }

            // Gateways find the silos' gateway ports in Redis: started once the silos are up, they connect at once.
            await WaitHealthyAsync(Silos).ConfigureAwait(false);
            for (var i = 0; i < gateways; i++)
            {
                Gateways.Add(StartGateway());
            }

            await WaitHealthyAsync(Gateways).ConfigureAwait(false);
            await WaitUntilAllSeeAsync(silos).ConfigureAwait(false);
            return this;
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one more silo and waits until it is healthy (not until others see it).</summary>
    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = StartSilo();
        Silos.Add(silo);
        await silo.WaitHealthyAsync(StartTimeout).ConfigureAwait(false);
        return silo;
    }

    /// <summary>An HTTP client of <paramref name="process"/>, disposed with the cluster.</summary>
    public HttpClient Http(SiloProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        lock (clients)
        {
            clients.Add(http);
        }

        return http;
    }

    /// <summary>
    /// Waits until every running process (or each of <paramref name="observers"/>) reports <paramref name="count"/>
    /// active silos in <c>/healthz</c>. A process that does not answer (busy, or asking a silo that is not declared
    /// dead yet) is asked again.
    /// </summary>
    /// <exception cref="TimeoutException">They did not within <paramref name="timeout"/> (default <see cref="StartTimeout"/>).</exception>
    public async Task WaitUntilAllSeeAsync(int count, IEnumerable<SiloProcess>? observers = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? StartTimeout);
        while (true)
        {
            var seen = new List<string>();
            foreach (var process in (observers ?? Silos.Concat(Gateways)).Where(p => p.IsRunning))
            {
                seen.Add(await ActiveSilosAsync(process).ConfigureAwait(false) is { } active
                    ? active.ToString(CultureInfo.InvariantCulture)
                    : "no answer");
            }

            if (seen.All(c => c == count.ToString(CultureInfo.InvariantCulture)))
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"the processes never all saw {count} silos: {string.Join(", ", seen)}");
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>The silos <paramref name="process"/> sees active (its <c>/healthz</c>), or null when it does not answer in time.</summary>
    public async Task<int?> ActiveSilosAsync(SiloProcess process)
    {
        try
        {
            return (await HealthAsync(process).ConfigureAwait(false)).GetProperty("activeSilos").GetInt32();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async Task<JsonElement> HealthAsync(SiloProcess process) =>
        await Http(process).GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative)).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        lock (clients)
        {
            foreach (var http in clients)
            {
                http.Dispose();
            }
        }

        foreach (var process in Gateways.Concat(Silos))
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        if (ownKafka is not null)
        {
            await ownKafka.DisposeAsync().ConfigureAwait(false);
        }

        if (ownRedis is not null)
        {
            await ownRedis.DisposeAsync().ConfigureAwait(false);
        }

        if (ownPostgres is not null)
        {
            await ownPostgres.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task WaitHealthyAsync(IEnumerable<SiloProcess> processes)
    {
        foreach (var process in processes)
        {
            await process.WaitHealthyAsync(StartTimeout).ConfigureAwait(false);
        }
    }

    /// <summary>What every process of the cluster is told: its cluster, its Redis, the tokens' key; then the caller's extra settings.</summary>
    private Dictionary<string, string> CommonSettings()
    {
        var settings = new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = ClusterId,
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = redisConfiguration,
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = SigningKey,
        };
        foreach (var (key, value) in extraSettings)
        {
            settings[key] = value;
        }

        return settings;
    }

    private SiloProcess StartSilo()
    {
        var settings = CommonSettings();
        settings["CHATCLUSTER__CLUSTER__SILOPORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        settings["CHATCLUSTER__CLUSTER__GATEWAYPORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        settings["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres";
        settings["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = database;
        if (ownKafka is not null)
        {
            // The silos' defaults otherwise (replication 3, min.insync.replicas 2: the test broker has three brokers),
            // except the fetch wait: the test broker holds every fetch for all of it, even when records arrive (as
            // infra/cluster.sh sets it for the test broker).
            settings["CHATCLUSTER__STREAMS__PROVIDER"] = "Kafka";
            settings["CHATCLUSTER__KAFKA__BOOTSTRAPSERVERS"] = ownKafka.BootstrapServers;
            settings["CHATCLUSTER__KAFKA__TOPIC"] = KafkaTopic;
            settings["CHATCLUSTER__KAFKA__FETCHWAIT"] = "00:00:00.005";
        }

        return SiloProcess.Start(settings);
    }

    /// <summary>A stand-alone gateway process: it finds the silos' gateway ports in the cluster's Redis.</summary>
    private SiloProcess StartGateway() => SiloProcess.StartGateway(CommonSettings());
}
