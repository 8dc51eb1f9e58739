using Orleans.TestingHost;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>User and group grains spread evenly over the silos (random placement), not piled onto one.</summary>
public sealed class PlacementTests
{
    [Fact(Timeout = 180_000)]
    public async Task User_and_group_grains_spread_over_three_silos()
    {
        using var store = await ChatStore.CreateAsync("postgres");
        await using var silo = await ChatSilo.StartAsync(store, silos: 3);
        var management = silo.Grains.GetGrain<IManagementGrain>(0);
        const int Users = 600;
        const int Groups = 60;
        // Activated from one silo, as a gateway co-hosted in a silo does: placement must not favour the caller's silo.
        var gatewaySilo = silo.Service<IGrainFactory>();
        await Task.WhenAll(Enumerable.Range(0, Users).Select(i => gatewaySilo.GetGrain<IUserGrain>($"p{i}").Timelines()));
        await Task.WhenAll(Enumerable.Range(0, Groups).Select(i => gatewaySilo.GetGrain<IGroupGrain>($"pg{i}").Create($"p{i}", [$"p{i + 1}"])));

        var hosts = new List<SiloAddress>();
        foreach (var grain in Enumerable.Range(0, Users).Select(i => (IAddressable)silo.User($"p{i}"))
            .Concat(Enumerable.Range(0, Groups).Select(i => (IAddressable)silo.Group($"pg{i}"))))
        {
            hosts.Add(await management.GetActivationAddress(grain) ?? throw new InvalidOperationException("a grain is not active"));
        }

        var perSilo = silo.Cluster.Silos.Select(s => hosts.Count(h => h.Equals(s.SiloAddress))).ToList();
        // A third each is 220; the bound is about seven standard deviations of random placement below it, so only a
        // placement that favours some silos fails it.
        Assert.All(perSilo, count => Assert.True(count >= 140, $"grains per silo: {string.Join(", ", perSilo)}"));
    }
}
