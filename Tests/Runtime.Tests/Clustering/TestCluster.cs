using ChatCluster.Runtime.Storage.Memory;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>Clustered test silos of one cluster id sharing one grain storage; disposing stops every silo ever started.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly string redisEndpoint;
    private readonly string clusterId = PrivateRedis.NewClusterId();
    private readonly MemoryGrainStorage storage = new();
    private readonly List<ClusterSilo> started = [];

    private TestCluster(string redisEndpoint) => this.redisEndpoint = redisEndpoint;

    /// <summary>The silos a test counts as members; a test removes the ones it stops or kills.</summary>
    public List<ClusterSilo> Silos { get; } = [];

    public static async Task<TestCluster> StartAsync(string redisEndpoint, int silos)
    {
        var cluster = new TestCluster(redisEndpoint);
        for (var i = 0; i < silos; i++)
        {
            await cluster.AddSiloAsync();
        }

        return cluster;
    }

    public async Task AddSiloAsync()
    {
        var silo = await ClusterSilo.StartAsync(redisEndpoint, clusterId, storage);
        started.Add(silo);
        Silos.Add(silo);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in started)
        {
            await silo.DisposeAsync();
        }
    }
}
