using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// When a grain moves (a silo joins, or one leaves gracefully), its new owner activates it only after the old
/// owner has let go of it: the grain is never active in two silos at once, even while the silos' views differ.
/// </summary>
public sealed class HandOffTests(PrivateRedis redis) : IClassFixture<PrivateRedis>
{
    private const int Grains = 60;

    [Fact(Timeout = 120_000)]
    public async Task A_joining_silo_activates_the_grains_it_takes_over_only_after_their_old_owners_deactivated_them()
    {
        await using var cluster = await TestCluster.StartAsync(redis.Server.Endpoint, silos: 3);
        await TestCluster.AllSeeAsync(cluster.Silos);
        var keys = NewKeys();
        await TouchAllAsync(cluster.Silos[0], keys);

        await cluster.AddSiloAsync();
        // The new silo has the newest view at once; the others learn it later. Calls made through it reach the grains
        // it now owns while their old owners may still have them active: it must ask those to let go first.
        var joined = cluster.Silos[^1];
        await TouchAllAsync(joined, keys);

        Assert.Contains(joined.Activations, grain => keys.Contains(grain.Key));
        Assert.Equal(1, LifetimeGrain.MostAliveAtOnce(keys));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_leaving_silo_lets_go_of_its_grains_before_their_new_owners_activate_them_and_no_call_fails()
    {
        await using var cluster = await TestCluster.StartAsync(redis.Server.Endpoint, silos: 3);
        await TestCluster.AllSeeAsync(cluster.Silos);
        var keys = NewKeys();
        var (caller, leaving) = (cluster.Silos[0], cluster.Silos[1]);
        await TouchAllAsync(caller, keys);
        Assert.Contains(leaving.Activations, grain => keys.Contains(grain.Key));

        // Calls keep coming while the silo leaves: each one succeeds, wherever the grain is at that moment.
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await TouchAllAsync(caller, keys);
            }
        });
        await leaving.StopAsync();
        await stop.CancelAsync();
        await load;
        await TouchAllAsync(caller, keys);

        Assert.Empty(leaving.Activations);
        Assert.Equal(1, LifetimeGrain.MostAliveAtOnce(keys));
    }

    private static List<string> NewKeys()
    {
        var prefix = Guid.NewGuid().ToString("N")[..8];
        return [.. Enumerable.Range(0, Grains).Select(i => $"{prefix}-{i}")];
    }

    private static Task TouchAllAsync(ClusterSilo caller, List<string> keys) =>
        Task.WhenAll(keys.Select(key => caller.Runtime.GetGrain<ILifetimeGrain>(key).Touch()));
}
