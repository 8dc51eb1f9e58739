using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ChatCluster.Client;
using ChatCluster.Client.Tokens;
using ChatCluster.Testing.Processes;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// A cluster of real processes for a test: silo processes (Redis membership, PostgreSQL) and gateway processes
/// (cluster clients), on loopback and free ports, under a cluster id of its own. Disposing kills what is left.
/// With private servers (for chaos tests that stop them) it starts a Redis with AOF and a PostgreSQL of its own,
/// and stops them when disposed; otherwise it uses the test process's shared ones.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private const string SigningKey = "process-cluster-tests-signing-key-0123456789";
    private readonly RedisServer redis;
    private readonly PostgresServer? ownPostgres;
    private readonly string database;
    private readonly string clusterId = "tests-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, string> extraSettings;
    private readonly List<HttpClient> clients = [];

    private ProcessCluster(RedisServer redis, PostgresServer? ownPostgres, string database, Dictionary<string, string> extraSettings, bool ownsServers)
    {
        this.redis = redis;
        this.ownPostgres = ownPostgres;
        this.database = database;
        this.extraSettings = extraSettings;
        OwnsServers = ownsServers;
    }

    /// <summary>True when the cluster's Redis and PostgreSQL are its own (<see cref="Redis"/> and <see cref="Postgres"/> may be stopped).</summary>
    public bool OwnsServers { get; }

    /// <summary>The Redis of membership and the log.</summary>
    public RedisServer Redis => redis;

    /// <summary>The cluster's own PostgreSQL (only with private servers).</summary>
    public PostgresServer Postgres => ownPostgres ?? throw new InvalidOperationException("This cluster uses the shared PostgreSQL; start it with privateServers: true to stop or restart it.");

    /// <summary>The connection string of the database holding grain state and messages.</summary>
    public string Database => database;

    public List<SiloProcess> Silos { get; } = [];

    public List<SiloProcess> Gateways { get; } = [];

    /// <summary>Starts <paramref name="silos"/> silos and <paramref name="gateways"/> gateways and waits until every process sees all silos.</summary>
    public static async Task<ProcessCluster> StartAsync(int silos, int gateways, Dictionary<string, string>? settings = null, bool privateServers = false)
    {
        ProcessCluster cluster;
        if (privateServers)
        {
            var ownRedis = await RedisServer.StartAsync(appendOnly: true);
            var ownPostgres = await PostgresServer.StartAsync();
            cluster = new ProcessCluster(ownRedis, ownPostgres, await ownPostgres.CreateUniqueDatabaseAsync("cluster"), settings ?? [], ownsServers: true);
        }
        else
        {
            var database = await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("cluster");
            cluster = new ProcessCluster(await SharedServers.Redis, null, database, settings ?? [], ownsServers: false);
        }

        try
        {
            for (var i = 0; i < silos; i++)
            {
                cluster.Silos.Add(cluster.Start(gateway: false));
            }

            for (var i = 0; i < gateways; i++)
            {
                cluster.Gateways.Add(cluster.Start(gateway: true));
            }

            await cluster.WaitHealthyAsync();
            await cluster.WaitUntilAllSeeAsync(silos);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more silo and waits until it is healthy (not until others see it).</summary>
    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = Start(gateway: false);
        Silos.Add(silo);
        await silo.WaitHealthyAsync(StartTimeout);
        return silo;
    }

    public HttpClient Http(SiloProcess process)
    {
        var http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        clients.Add(http);
        return http;
    }

    /// <summary>A connected client of <paramref name="user"/> on <paramref name="process"/>'s gateway.</summary>
    public async Task<ChatClient> ConnectAsync(SiloProcess process, string user)
    {
        var client = new ChatClient(new ChatClientOptions
        {
            ServerUri = new Uri($"ws://127.0.0.1:{process.Port}/ws"),
            TokenProvider = DevTokens.For(Http(process), user),
            RequestTimeout = TimeSpan.FromSeconds(30),
        });
        await client.ConnectAsync();
        return client;
    }

    /// <summary>Waits until every running process reports <paramref name="count"/> active silos.</summary>
    public async Task WaitUntilAllSeeAsync(int count)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var seen = new List<int>();
            foreach (var process in Silos.Concat(Gateways).Where(p => p.IsRunning))
            {
                seen.Add((await HealthAsync(process)).GetProperty("activeSilos").GetInt32());
            }

            if (seen.All(c => c == count))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the processes never all saw {count} silos: {string.Join(", ", seen)}");
            await Task.Delay(100);
        }
    }

    public async Task<JsonElement> HealthAsync(SiloProcess process) =>
        await Http(process).GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative));

    public async ValueTask DisposeAsync()
    {
        foreach (var http in clients)
        {
            http.Dispose();
        }

        foreach (var process in Gateways.Concat(Silos))
        {
            await process.DisposeAsync();
        }

        if (OwnsServers)
        {
            await redis.DisposeAsync();
            await ownPostgres!.DisposeAsync();
        }
    }

    private async Task WaitHealthyAsync()
    {
        foreach (var process in Silos.Concat(Gateways))
        {
            await process.WaitHealthyAsync(StartTimeout);
        }
    }

    private SiloProcess Start(bool gateway)
    {
        var settings = new Dictionary<string, string>(extraSettings)
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = clusterId,
            ["CHATCLUSTER__REDIS__ENDPOINT"] = redis.Endpoint,
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
