using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>Local clustering (no Redis) through the runtime builder, as the embedded silo would use it.</summary>
public sealed class LocalClusteringTests
{
    [Fact(Timeout = 30_000)]
    public async Task The_embedded_silo_joins_local_membership_with_the_host_and_leaves_when_it_stops()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddGrainRuntime().AddMemoryGrainStorage().UseLocalClustering("127.0.0.1", 11111, o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(100));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().OfType<MembershipHostedService>().Single();
        var membership = provider.GetRequiredService<MembershipService>();
        var table = provider.GetRequiredService<IMembershipTable>();

        await hosted.StartAsync(CancellationToken.None);

        Assert.IsType<LocalMembershipTable>(table);
        Assert.True(membership.IsServing);
        Assert.Equal("127.0.0.1:11111", membership.Address.Endpoint);
        Assert.Equal([membership.Address], membership.View.ActiveSilos);
        Assert.Equal(2, membership.View.Version);

        await hosted.StopAsync(CancellationToken.None);

        Assert.False(membership.IsServing);
        var view = await table.ReadAsync(CancellationToken.None);
        Assert.Equal(SiloStatus.Dead, view.Find(membership.Address)!.Status);
        Assert.Equal(4, view.Version);
    }
}
