using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// A clustered silo in the test process: test grains, a transport on a free loopback port, Redis membership,
/// and a grain storage shared with the other test silos (as PostgreSQL is shared by real silos).
/// </summary>
internal sealed class ClusterSilo : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly List<IHostedService> hosted;
    private bool stopped;

    private ClusterSilo(ServiceProvider services)
    {
        this.services = services;
        hosted = [.. services.GetServices<IHostedService>()];
        Runtime = services.GetRequiredService<GrainRuntime>();
        Membership = services.GetRequiredService<MembershipService>();
    }

    public GrainRuntime Runtime { get; }

    public MembershipService Membership { get; }

    /// <summary>The grains activated here.</summary>
    public IReadOnlyList<GrainId> Activations => [.. Runtime.Catalog.Snapshot().Select(activation => activation.Id)];

    public static async Task<ClusterSilo> StartAsync(string redisEndpoint, string clusterId, IGrainStorage sharedStorage)
    {
        var port = FreePort.Get();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ChatCluster:Redis:Endpoint"] = redisEndpoint })
            .Build();
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        collection.AddGrainRuntime()
            .AddGrains(typeof(ClusterSilo).Assembly)
            .AddGrainStorage(_ => sharedStorage)
            .AddTransport(null, o => o.Port = port)
            .UseRedisClustering(configuration, "127.0.0.1", port, o =>
            {
                o.ClusterId = clusterId;
                o.HeartbeatInterval = o.RefreshInterval = o.ProbeInterval = TimeSpan.FromMilliseconds(200);
                o.ProbeTimeout = TimeSpan.FromMilliseconds(200);
                o.DeathTimeout = TimeSpan.FromSeconds(3);
            });
        var silo = new ClusterSilo(collection.BuildServiceProvider());
        foreach (var service in silo.hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        return silo;
    }

    /// <summary>Leaves the cluster and stops, as on SIGTERM: membership first, then the runtime (state written).</summary>
    public async Task StopAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = hosted.Count - 1; i >= 0; i--)
        {
            await hosted[i].StopAsync(timeout.Token);
        }
    }

    /// <summary>
    /// Dies as a killed process looks to the others: no more heartbeats, probe answers or calls, and no goodbye.
    /// Its activations stay in memory, unreachable, and write nothing more.
    /// </summary>
    public async Task KillAsync()
    {
        await Membership.StopAsync();
        await Runtime.Transport!.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await services.DisposeAsync();
    }
}
