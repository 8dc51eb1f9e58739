using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Testing.Processes;

/// <summary>
/// A cluster of real processes: silo processes (Redis membership, PostgreSQL) and gateway processes
/// (cluster clients), on loopback and free ports, under a cluster id of its own. Used by the process tests
/// and the <c>cluster-dm</c> bench. Disposing kills what is left. With private servers (for chaos tests that stop
/// them) it starts a Redis with AOF and a PostgreSQL of its own, and stops them when disposed.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    public const string SigningKey = "process-cluster-tests-signing-key-0123456789";
    private readonly string redisEndpoint;
    private readonly string database;
    private readonly string clusterId = "tests-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, string> extraSettings;
    private readonly List<HttpClient> clients = [];
    private RedisServer? ownRedis;
    private PostgresServer? ownPostgres;

    private ProcessCluster(string redisEndpoint, string database, Dictionary<string, string> extraSettings)
    {
        this.redisEndpoint = redisEndpoint;
        this.database = database;
        this.extraSettings = extraSettings;
    }

    /// <summary>The cluster's own Redis (with <c>privateServers</c>), which a test may stop and start again.</summary>
    public RedisServer Redis => ownRedis ?? throw new InvalidOperationException("This cluster uses a shared Redis; start it with privateServers: true to stop or restart it.");

    /// <summary>The cluster's own PostgreSQL (with <c>privateServers</c>), which a test may stop and start again.</summary>
    public PostgresServer Postgres => ownPostgres ?? throw new InvalidOperationException("This cluster uses a shared PostgreSQL; start it with privateServers: true to stop or restart it.");

    /// <summary>The connection string of the database holding grain state and messages.</summary>
    public string Database => database;

    public List<SiloProcess> Silos { get; } = [];

    public List<SiloProcess> Gateways { get; } = [];

    /// <summary>
    /// Starts <paramref name="silos"/> silos and <paramref name="gateways"/> gateways on the test process's shared Redis
    /// and a new database of its shared PostgreSQL, and waits until every process sees all silos.
    /// </summary>
    /// <remarks>With <paramref name="privateServers"/>, on a Redis (AOF on) and a PostgreSQL started for this cluster alone.</remarks>
    public static async Task<ProcessCluster> StartAsync(int silos, int gateways, Dictionary<string, string>? settings = null, bool privateServers = false)
    {
        if (privateServers)
        {
            var ownRedis = await RedisServer.StartAsync(appendOnly: true).ConfigureAwait(false);
            PostgresServer? ownPostgres = null;
            try
            {
                ownPostgres = await PostgresServer.StartAsync().ConfigureAwait(false);
                var ownDatabase = await ownPostgres.CreateUniqueDatabaseAsync("cluster").ConfigureAwait(false);
                var own = new ProcessCluster(ownRedis.Endpoint, ownDatabase, settings ?? []) { ownRedis = ownRedis, ownPostgres = ownPostgres };
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
        return await StartAsync(redis.Endpoint, database, silos, gateways, settings).ConfigureAwait(false);
    }

    /// <summary>The same on the Redis at <paramref name="redisEndpoint"/> (host:port) and the PostgreSQL database of <paramref name="postgresConnectionString"/>.</summary>
    public static async Task<ProcessCluster> StartAsync(
        string redisEndpoint, string postgresConnectionString, int silos, int gateways, Dictionary<string, string>? settings = null)
    {
        var cluster = new ProcessCluster(redisEndpoint, postgresConnectionString, settings ?? []);
        return await cluster.StartProcessesAsync(silos, gateways).ConfigureAwait(false);
    }

    private async Task<ProcessCluster> StartProcessesAsync(int silos, int gateways)
    {
        try
        {
            for (var i = 0; i < silos; i++)
            {
                Silos.Add(Start(gateway: false));
            }

            for (var i = 0; i < gateways; i++)
            {
                Gateways.Add(Start(gateway: true));
            }

            await WaitHealthyAsync().ConfigureAwait(false);
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
        var silo = Start(gateway: false);
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

    /// <summary>Waits until every running process reports <paramref name="count"/> active silos.</summary>
    /// <exception cref="TimeoutException">They did not within <see cref="StartTimeout"/>.</exception>
    public async Task WaitUntilAllSeeAsync(int count)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var seen = new List<int>();
            foreach (var process in Silos.Concat(Gateways).Where(p => p.IsRunning))
            {
                seen.Add((await HealthAsync(process).ConfigureAwait(false)).GetProperty("activeSilos").GetInt32());
            }

            if (seen.All(c => c == count))
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

        if (ownRedis is not null)
        {
            await ownRedis.DisposeAsync().ConfigureAwait(false);
        }

        if (ownPostgres is not null)
        {
            await ownPostgres.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WaitHealthyAsync()
    {
        foreach (var process in Silos.Concat(Gateways))
        {
            await process.WaitHealthyAsync(StartTimeout).ConfigureAwait(false);
        }
    }

    private SiloProcess Start(bool gateway)
    {
        var settings = new Dictionary<string, string>(extraSettings)
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = clusterId,
            ["CHATCLUSTER__REDIS__ENDPOINT"] = redisEndpoint,
            ["CHATCLUSTER__TRANSPORT__PORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture),
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = SigningKey,
        };
        if (gateway)
        {
            settings["CHATCLUSTER__CLUSTER__ROLE"] = "Client";
        }
        else
        {
            settings["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres";
            settings["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = database;
        }

        return SiloProcess.Start(settings);
    }
}
