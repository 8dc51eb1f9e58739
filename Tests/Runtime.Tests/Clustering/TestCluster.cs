using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Placement;
using ChatCluster.Runtime.Storage.Memory;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>Clustered test silos of one cluster id sharing one grain storage; disposing stops every silo ever started.</summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
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

    /// <summary>Waits until every silo's view lists exactly these silos as active, and each grain has left the silos that no longer own it.</summary>
    public static async Task AllSeeAsync(List<ClusterSilo> silos)
    {
        var expected = silos.Select(silo => silo.Membership.Address).Order(SiloAddress.Order).ToList();
        var deadline = DateTime.UtcNow + Wait;
        while (!silos.All(silo => silo.Membership.View.ActiveSilos.Order(SiloAddress.Order).SequenceEqual(expected)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the silos never agreed on the view");
            await Task.Delay(50);
        }

        // Grains given to another silo by the last change finish moving out first.
        var settle = DateTime.UtcNow + Wait;
        var placement = new RendezvousPlacement(expected);
        while (silos.Any(silo => silo.Activations.Any(grain => placement.OwnerOf(grain) != silo.Membership.Address)))
        {
            Assert.True(DateTime.UtcNow < settle, "grains did not leave silos that no longer own them");
            await Task.Delay(50);
        }
    }
}
