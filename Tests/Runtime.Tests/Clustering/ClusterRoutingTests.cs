using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Placement;
using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// Silos with Redis membership and the transport: every call reaches the grain's owner by rendezvous placement,
/// wherever it was made, and grains move with their state when a silo joins or leaves.
/// </summary>
public sealed class ClusterRoutingTests(PrivateRedis redis) : IClassFixture<PrivateRedis>
{
    private const int Counters = 60;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120_000)]
    public async Task Calls_reach_each_grains_owner_and_grains_move_with_their_state_when_silos_join_and_leave()
    {
        await using var cluster = await TestCluster.StartAsync(redis.Server.Endpoint, silos: 3);
        var silos = cluster.Silos;
        await AllSeeAsync(silos);
        // Each counter is called from every silo: all calls reach the one activation at its owner.
        foreach (var caller in silos)
        {
            await IncrementAllAsync(caller, expected: silos.IndexOf(caller) + 1);
        }

        AssertEachGrainLivesAtItsOwner(silos);

        await cluster.AddSiloAsync();
        await AllSeeAsync(silos);
        await IncrementAllAsync(silos[0], expected: 4);
        AssertEachGrainLivesAtItsOwner(silos);
        Assert.NotEmpty(silos[3].Activations);

        var leaving = silos[1];
        await leaving.StopAsync();
        silos.Remove(leaving);
        await AllSeeAsync(silos);
        await IncrementAllAsync(silos[^1], expected: 5);
        AssertEachGrainLivesAtItsOwner(silos);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_grains_of_a_killed_silo_answer_from_the_others_with_their_persisted_state()
    {
        await using var cluster = await TestCluster.StartAsync(redis.Server.Endpoint, silos: 3);
        var silos = cluster.Silos;
        await AllSeeAsync(silos);
        await IncrementAllAsync(silos[0], expected: 1);
        var victim = silos.Skip(1).MaxBy(silo => silo.Activations.Count)!;
        Assert.NotEmpty(victim.Activations);

        var killed = DateTime.UtcNow;
        await victim.KillAsync();
        silos.Remove(victim);

        // Called at once, before anyone knows: calls to the dead silo's grains cannot be delivered, and are
        // routed again until the view gives those grains to a live silo. None fails.
        await IncrementAllAsync(silos[0], expected: 2);
        await AllSeeAsync(silos);
        var detected = DateTime.UtcNow - killed;
        AssertEachGrainLivesAtItsOwner(silos, unreachable: victim);
        Console.WriteLine($"killed silo left the view after {detected.TotalMilliseconds:F0} ms");
    }

    private static async Task IncrementAllAsync(ClusterSilo caller, int expected)
    {
        var values = await Task.WhenAll(Enumerable.Range(0, Counters).Select(i => caller.Runtime.GetGrain<ICounterGrain>($"c{i}").Increment()));
        Assert.All(values, value => Assert.Equal(expected, value));
    }

    /// <summary>Every activation sits at the silo placement names for it, and no grain is active twice.</summary>
    private static void AssertEachGrainLivesAtItsOwner(List<ClusterSilo> silos, ClusterSilo? unreachable = null)
    {
        var placement = new RendezvousPlacement(silos[0].Membership.View.ActiveSilos);
        var all = silos.Where(silo => silo != unreachable).SelectMany(silo => silo.Activations.Select(grain => (silo, grain))).ToList();
        Assert.Equal(Counters, all.Count);
        Assert.All(all, entry => Assert.Equal(entry.silo.Membership.Address, placement.OwnerOf(entry.grain)));
    }

    /// <summary>Waits until every silo's view lists exactly these silos as active.</summary>
    private static async Task AllSeeAsync(List<ClusterSilo> silos)
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
