using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ChatCluster.Testing.Processes;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// Silo and stand-alone gateway processes of one cluster in cluster mode (Orleans' Redis clustering on a Redis with a
/// password, PostgreSQL grain state, the Redis Streams log), started with the settings operators give them; disposing
/// kills what is still running.
/// </summary>
internal sealed class RedisClusterProcesses(RedisServer redis, string database) : IAsyncDisposable
{
    public const string SigningKey = "redis-cluster-tests-signing-key-0123456789";
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly List<SiloProcess> started = [];

    public string ClusterId { get; } = "tests-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The Redis configuration string the processes get: the endpoint and the password (a secret they must never print).</summary>
    public string RedisConfiguration => $"{redis.Endpoint},password={redis.Password}";

    /// <summary>Starts a silo; with <paramref name="clientGateway"/>, one that Orleans clients (stand-alone gateways) can connect to.</summary>
    public SiloProcess StartSilo(bool clientGateway = true)
    {
        var settings = new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = ClusterId,
            ["CHATCLUSTER__CLUSTER__SILOPORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture),
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = RedisConfiguration,
            ["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres",
            ["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = database,
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = SigningKey,
        };
        if (clientGateway)
        {
            settings["CHATCLUSTER__CLUSTER__GATEWAYPORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        }

        return Track(SiloProcess.Start(settings));
    }

    /// <summary>Starts a stand-alone gateway of this cluster.</summary>
    public SiloProcess StartGateway() =>
        Track(SiloProcess.StartGateway(new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = ClusterId,
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = RedisConfiguration,
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = SigningKey,
        }));

    /// <summary>Every process's output, for failure messages.</summary>
    public string Outputs() => string.Join("\n", started.Select((p, i) => $"--- {p.Name} {i} (port {p.Port}):\n{p.Output}"));

    public static async Task<JsonElement> HealthAsync(SiloProcess process)
    {
        using var http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative));
    }

    /// <summary>Waits until each of <paramref name="processes"/> reports <paramref name="count"/> active silos in <c>/healthz</c>.</summary>
    public async Task WaitUntilAllSeeAsync(int count, params SiloProcess[] processes)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var seen = new List<int>();
            foreach (var process in processes)
            {
                seen.Add((await HealthAsync(process)).GetProperty("activeSilos").GetInt32());
            }

            if (seen.All(c => c == count))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the processes never all saw {count} silos: {string.Join(", ", seen)}\n{Outputs()}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in started)
        {
            await process.DisposeAsync();
        }
    }

    private SiloProcess Track(SiloProcess process)
    {
        started.Add(process);
        return process;
    }
}
