using System.Diagnostics;
using ChatCluster.Runtime.Clustering;
using Xunit.Abstractions;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// Membership services of several fake silos in this process on one Redis table (a private server):
/// joining, agreeing on views, leaving, a killed silo declared dead, a partitioned silo fenced and rejoined.
/// </summary>
public sealed class MembershipServiceTests(PrivateRedis redis, ITestOutputHelper output) : IClassFixture<PrivateRedis>
{
    /// <summary>Far above the ~0.5 s the test intervals give, for a loaded two-core machine.</summary>
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 60_000)]
    public async Task Three_silos_become_active_on_one_view_then_a_fourth_joins_and_every_silo_sees_it()
    {
        await using var cluster = new FakeCluster(redis, output);
        var first = new[] { await cluster.StartSiloAsync(), await cluster.StartSiloAsync(), await cluster.StartSiloAsync() };

        var three = await cluster.WaitForAgreementAsync(active: 3);

        Assert.Equal(first.Select(s => s.Service.Address).Order(SiloAddress.Order), three.ActiveSilos);
        Assert.All(first, s => Assert.Equal(three.ActiveSilos, s.Service.View.ActiveSilos));
        Assert.All(three.Entries, e => Assert.Empty(e.Votes)); // a healthy cluster has no suspicion

        var fourth = await cluster.StartSiloAsync();
        var four = await cluster.WaitForAgreementAsync(active: 4);

        Assert.Equal(three.Version + 2, four.Version); // its join and its Active, nothing else
        Assert.Contains(fourth.Service.Address, four.ActiveSilos);
        Assert.All(cluster.Running, s => Assert.Equal(four.ActiveSilos, s.Service.View.ActiveSilos));
        Assert.All(four.Entries, e => Assert.Empty(e.Votes));
        cluster.AssertViewsOnlyGrew();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_silo_that_leaves_goes_shutting_down_then_dead_and_the_others_see_it_gone()
    {
        await using var cluster = new FakeCluster(redis, output);
        var silos = new[] { await cluster.StartSiloAsync(), await cluster.StartSiloAsync(), await cluster.StartSiloAsync() };
        await cluster.WaitForAgreementAsync(active: 3);
        var leaving = silos[1];
        var address = leaving.Service.Address;

        await leaving.LeaveAsync();
        var view = await cluster.WaitForAgreementAsync(active: 2);

        Assert.False(leaving.Service.IsServing);
        Assert.Equal(SiloStatus.Dead, view.Find(address)!.Status);
        Assert.DoesNotContain(address, view.ActiveSilos);
        Assert.All(cluster.Running, s => Assert.Equal(SiloStatus.Dead, s.Service.View.Find(address)!.Status));
        var statusLines = leaving.Logger.Lines.Where(l => l.Contains("set its status", StringComparison.Ordinal)).ToList();
        Assert.Equal(["Active: Applied", "ShuttingDown: Applied", "Dead: Applied"], statusLines.Select(l => l[(l.IndexOf("to ", StringComparison.Ordinal) + 3)..l.IndexOf(" (view", StringComparison.Ordinal)]));
        Assert.Empty(leaving.Fences);
        cluster.AssertViewsOnlyGrew();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_killed_silo_is_declared_dead_by_the_others_within_the_detection_time()
    {
        await using var cluster = new FakeCluster(redis, output);
        var silos = new[] { await cluster.StartSiloAsync(), await cluster.StartSiloAsync(), await cluster.StartSiloAsync(), await cluster.StartSiloAsync() };
        await cluster.WaitForAgreementAsync(active: 4);
        var victim = silos[2];
        var address = victim.Service.Address;

        var sinceKill = Stopwatch.StartNew();
        await victim.KillAsync();
        var view = await cluster.WaitUntilAsync(async () =>
        {
            var read = await cluster.ReadAsync();
            return read.Find(address)!.Status == SiloStatus.Dead
                && cluster.Running.All(s => s.Service.View.Find(address)?.Status == SiloStatus.Dead) ? read : null;
        }, $"{address} dead in the table and in every survivor's view", DetectionBound);
        var detected = sinceKill.Elapsed;
        output.WriteLine($"Killed silo {address} was dead in every survivor's view after {detected.TotalMilliseconds:0} ms");

        Assert.InRange(detected, TimeSpan.Zero, DetectionBound);
        Assert.NotEmpty(view.Find(address)!.Votes);
        Assert.All(view.Find(address)!.Votes, v => Assert.NotEqual(address, v.Voter));
        Assert.Equal(3, (await cluster.WaitForAgreementAsync(active: 3)).ActiveSilos.Count);
        Assert.All(cluster.Running, s => Assert.Empty(s.Fences));
        cluster.AssertViewsOnlyGrew();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_partitioned_silo_is_declared_dead_fenced_and_rejoins_with_a_new_epoch_that_the_others_see_active()
    {
        await using var cluster = new FakeCluster(redis, output);
        var silos = new[] { await cluster.StartSiloAsync(), await cluster.StartSiloAsync(), await cluster.StartSiloAsync() };
        await cluster.WaitForAgreementAsync(active: 3);
        var partitioned = silos[0];
        var old = partitioned.Service.Address;
        var servingWhenFenced = new List<bool>();
        partitioned.Service.Fenced += (_, e) =>
        {
            servingWhenFenced.Add(partitioned.Service.IsServing);
            partitioned.Service.HeartbeatsPaused = false; // the partition heals once the silo has given up its epoch
        };

        var sincePartition = Stopwatch.StartNew();
        cluster.Cut(old);
        partitioned.Service.HeartbeatsPaused = true;
        await cluster.WaitUntilAsync(() => Task.FromResult(partitioned.Fences.Count > 0 ? partitioned.Fences : null), "the partitioned silo fenced", DetectionBound);
        output.WriteLine($"Partitioned silo {old} was fenced after {sincePartition.Elapsed.TotalMilliseconds:0} ms: {partitioned.Fences[0].Reason}");
        var view = await cluster.WaitUntilAsync(async () =>
        {
            var read = await cluster.ReadAsync();
            return partitioned.Service.IsServing && partitioned.Service.Address != old && read.ActiveSilos.Count == 3
                && cluster.Running.All(s => s.Service.View.Version == read.Version) ? read : null;
        }, "the partitioned silo back under a new epoch, seen by all", DetectionBound);
        output.WriteLine($"It rejoined as {partitioned.Service.Address} after {sincePartition.Elapsed.TotalMilliseconds:0} ms");

        var reborn = partitioned.Service.Address;
        Assert.Equal(old, Assert.Single(partitioned.Fences).Address);
        Assert.Equal([false], servingWhenFenced);
        Assert.Equal(old.Endpoint, reborn.Endpoint);
        Assert.True(reborn.Epoch > old.Epoch);
        Assert.Equal(SiloStatus.Dead, view.Find(old)!.Status);
        Assert.Equal(SiloStatus.Active, view.Find(reborn)!.Status);
        Assert.All(cluster.Running, s => Assert.Equal(SiloStatus.Active, s.Service.View.Find(reborn)!.Status));
        Assert.All(cluster.Running, s => Assert.Equal(SiloStatus.Dead, s.Service.View.Find(old)!.Status));
        Assert.All(silos.Skip(1), s => Assert.Empty(s.Fences));
        cluster.AssertViewsOnlyGrew();
    }
}
