using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Placement;

namespace ChatCluster.Runtime.Tests.Placement;

/// <summary>Rendezvous placement: the same owner everywhere, an even spread, and only the necessary grains move.</summary>
public sealed class RendezvousPlacementTests
{
    private static readonly GrainId[] Grains = [.. Enumerable.Range(0, 50_000).Select(i => new GrainId(i % 2 == 0 ? "user" : "group", "g" + i))];

    [Fact]
    public void Every_process_with_the_same_view_computes_the_same_owner_whatever_the_order_of_silos()
    {
        var silos = Silos(5);
        var here = new RendezvousPlacement(silos);
        var there = new RendezvousPlacement(silos.AsEnumerable().Reverse());
        Assert.All(Grains.Take(5_000), grain => Assert.Equal(here.OwnerOf(grain), there.OwnerOf(grain)));
    }

    [Fact]
    public void Grains_spread_evenly_over_the_silos()
    {
        var placement = new RendezvousPlacement(Silos(10));
        var counts = Grains.GroupBy(grain => placement.OwnerOf(grain)).ToDictionary(group => group.Key!, group => group.Count());
        Assert.Equal(10, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, 5_000 * 0.85, 5_000 * 1.15));
    }

    [Fact]
    public void A_joining_silo_takes_its_share_only_from_the_others_and_a_leaving_one_gives_away_only_its_own()
    {
        var ten = Silos(10);
        var before = new RendezvousPlacement(ten);
        var joined = new SiloAddress("127.0.0.1", 7100, 1);
        var after = new RendezvousPlacement([.. ten, joined]);

        var moved = Grains.Where(grain => before.OwnerOf(grain) != after.OwnerOf(grain)).ToList();
        Assert.All(moved, grain => Assert.Equal(joined, after.OwnerOf(grain)));
        Assert.InRange(moved.Count, Grains.Length / 11 * 0.85, Grains.Length / 11 * 1.15);

        var left = ten[3];
        var without = new RendezvousPlacement(ten.Where(silo => silo != left));
        Assert.All(Grains, grain =>
        {
            if (before.OwnerOf(grain) != left)
            {
                Assert.Equal(before.OwnerOf(grain), without.OwnerOf(grain));
            }
        });
    }

    [Fact]
    public void A_silo_restarting_on_its_endpoint_with_a_new_epoch_owns_the_same_grains()
    {
        var silos = Silos(4);
        var restarted = silos.Select((silo, i) => i == 2 ? new SiloAddress(silo.Host, silo.Port, silo.Epoch + 1) : silo).ToArray();
        var before = new RendezvousPlacement(silos);
        var after = new RendezvousPlacement(restarted);
        Assert.All(Grains.Take(5_000), grain => Assert.Equal(before.OwnerOf(grain)!.Endpoint, after.OwnerOf(grain)!.Endpoint));
    }

    [Fact]
    public void No_active_silo_means_no_owner()
    {
        Assert.Null(new RendezvousPlacement([]).OwnerOf(new GrainId("user", "alice")));
    }

    private static SiloAddress[] Silos(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new SiloAddress("127.0.0.1", 7000 + i, 1000 + i))];
}
