using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// What every <see cref="IMembershipTable"/> must do: view changes bump the version by exactly one and
/// are seen by every reader, heartbeats do not bump it, concurrent changes get distinct consecutive
/// versions, votes expire, statuses only move forward and a dead epoch stays dead. Each provider gets a
/// subclass that makes a fresh table and more handles ("readers") on the same store.
/// </summary>
public abstract class MembershipTableConformanceTests
{
    private static readonly TimeSpan LongWindow = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new, empty table (its own store). Its first version may be any number (Redis starts at its clock); each change adds one.</summary>
    protected abstract Task<IMembershipTable> CreateTableAsync();

    /// <summary>Another handle on the store of <paramref name="table"/> (for Redis: its own connection), as another silo would have.</summary>
    protected abstract IMembershipTable OpenReader(IMembershipTable table);

    [Fact(Timeout = 30_000)]
    public async Task Join_status_and_vote_each_bump_the_version_by_exactly_one_and_every_reader_sees_each_change()
    {
        var table = await CreateTableAsync();
        var reader = OpenReader(table);
        var (a, b, c) = (Silo(1), Silo(2), Silo(3));
        Assert.Equal(0, (await reader.ReadAsync(None)).Version);
        Assert.Empty((await reader.ReadAsync(None)).Entries);

        var expected = 0L;
        foreach (var silo in new[] { a, b, c })
        {
            var joined = await table.JoinAsync(silo, None);
            expected = expected == 0 ? joined.Version : expected + 1;
            Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, expected), joined);
            Assert.Equal(SiloStatus.Joining, (await reader.ReadAsync(None)).Find(silo)!.Status);
            Assert.Equal(expected, (await reader.ReadAsync(None)).Version);
        }

        foreach (var silo in new[] { a, b, c })
        {
            Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, ++expected), await table.SetStatusAsync(silo, SiloStatus.Active, None));
            Assert.Equal(SiloStatus.Active, (await reader.ReadAsync(None)).Find(silo)!.Status);
        }

        var first = await table.SuspectAsync(c, a, 2, LongWindow, None);
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, ++expected, DeclaredDead: false), first);
        var suspected = (await reader.ReadAsync(None)).Find(c)!;
        Assert.Equal(SiloStatus.Active, suspected.Status);
        Assert.Equal([a], suspected.Votes.Select(v => v.Voter));

        var second = await reader.SuspectAsync(c, b, 2, LongWindow, None);
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, ++expected, DeclaredDead: true), second);
        var view = await table.ReadAsync(None);
        Assert.Equal(expected, view.Version);
        Assert.Equal(SiloStatus.Dead, view.Find(c)!.Status);
        Assert.Equal([a, b], view.ActiveSilos);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_heartbeat_moves_the_last_heartbeat_forward_by_the_table_clock_without_bumping_the_version()
    {
        var table = await CreateTableAsync();
        var a = Silo(1);
        await table.JoinAsync(a, None);
        var before = await table.ReadAsync(None);
        await Task.Delay(50);

        var beat = await table.HeartbeatAsync(a, None);

        var after = await OpenReader(table).ReadAsync(None);
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, before.Version), beat);
        Assert.Equal(before.Version, after.Version);
        Assert.True(after.Find(a)!.LastHeartbeat >= before.Find(a)!.LastHeartbeat + TimeSpan.FromMilliseconds(40),
            $"heartbeat {after.Find(a)!.LastHeartbeat:O} should be about 50 ms after {before.Find(a)!.LastHeartbeat:O}");
        Assert.True(after.ReadAt >= after.Find(a)!.LastHeartbeat);
        Assert.Equal(MembershipOutcome.NotFound, (await table.HeartbeatAsync(Silo(9), None)).Outcome);
    }

    [Fact(Timeout = 60_000)]
    public async Task Concurrent_changes_from_many_tasks_and_handles_get_distinct_consecutive_versions_and_none_is_lost()
    {
        var table = await CreateTableAsync();
        var handles = Enumerable.Range(0, 4).Select(i => i == 0 ? table : OpenReader(table)).ToArray();
        const int silos = 40;

        var results = await Task.WhenAll(Enumerable.Range(1, silos).Select(i => Task.Run(async () =>
        {
            var handle = handles[i % handles.Length];
            var silo = Silo(i);
            var joined = await handle.JoinAsync(silo, None);
            await handle.HeartbeatAsync(silo, None); // interleaved, must not take a version
            var active = await handle.SetStatusAsync(silo, SiloStatus.Active, None);
            return new[] { joined, active };
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.All(all, r => Assert.Equal(MembershipOutcome.Applied, r.Outcome));
        var first = all.Min(r => r.Version);
        Assert.Equal(Enumerable.Range(0, 2 * silos).Select(v => first + v), all.Select(r => r.Version).Order());
        var view = await OpenReader(table).ReadAsync(None);
        Assert.Equal(first + (2 * silos) - 1, view.Version);
        Assert.Equal(silos, view.ActiveSilos.Count);
    }

    [Fact(Timeout = 30_000)]
    public async Task Votes_older_than_the_window_do_not_count_and_the_needed_votes_decide_death()
    {
        var table = await CreateTableAsync();
        var (a, b, c, suspect) = (Silo(1), Silo(2), Silo(3), Silo(4));
        await JoinActiveAsync(table, a, b, c, suspect);
        var window = TimeSpan.FromMilliseconds(300);

        Assert.False((await table.SuspectAsync(suspect, a, 2, window, None)).DeclaredDead);
        await Task.Delay(window * 2);
        var late = await table.SuspectAsync(suspect, b, 2, window, None);

        Assert.Equal(MembershipOutcome.Applied, late.Outcome);
        Assert.False(late.DeclaredDead, "a's vote expired, so b's alone must not be enough");
        Assert.Equal([b], (await table.ReadAsync(None)).Find(suspect)!.Votes.Select(v => v.Voter));

        var deciding = await table.SuspectAsync(suspect, c, 2, window, None);
        Assert.True(deciding.DeclaredDead);
        Assert.Equal(SiloStatus.Dead, (await table.ReadAsync(None)).Find(suspect)!.Status);
        Assert.Equal(MembershipOutcome.Dead, (await table.SuspectAsync(suspect, a, 2, window, None)).Outcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_voter_replaces_its_own_vote_and_fewer_active_silos_need_fewer_votes()
    {
        var table = await CreateTableAsync();
        var (a, b, c) = (Silo(1), Silo(2), Silo(3));
        await JoinActiveAsync(table, a, b, c);

        Assert.False((await table.SuspectAsync(c, a, 2, LongWindow, None)).DeclaredDead);
        Assert.False((await table.SuspectAsync(c, a, 2, LongWindow, None)).DeclaredDead); // the same voter twice is one vote
        Assert.Single((await table.ReadAsync(None)).Find(c)!.Votes);

        await table.SetStatusAsync(b, SiloStatus.ShuttingDown, None);
        var alone = await table.SuspectAsync(c, a, 2, LongWindow, None);
        Assert.True(alone.DeclaredDead, "with one other active silo, its vote is all the votes there can be");

        var joining = Silo(5);
        await table.JoinAsync(joining, None);
        var version = (await table.ReadAsync(None)).Version;
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.VoterNotActive, version), await table.SuspectAsync(a, joining, 2, LongWindow, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.VoterNotActive, version), await table.SuspectAsync(a, c, 2, LongWindow, None));
        await Assert.ThrowsAsync<ArgumentException>(() => table.SuspectAsync(a, a, 2, LongWindow, None));
    }

    [Fact(Timeout = 30_000)]
    public async Task Statuses_only_move_forward_and_an_unchanged_status_keeps_the_version()
    {
        var table = await CreateTableAsync();
        var a = Silo(1);
        await JoinActiveAsync(table, a);
        var version = (await table.ReadAsync(None)).Version;

        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Unchanged, version), await table.SetStatusAsync(a, SiloStatus.Active, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.InvalidTransition, version), await table.SetStatusAsync(a, SiloStatus.Joining, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.NotFound, version), await table.SetStatusAsync(Silo(2), SiloStatus.Active, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, version + 1), await table.SetStatusAsync(a, SiloStatus.ShuttingDown, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, version + 2), await table.SetStatusAsync(a, SiloStatus.Dead, None));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_dead_epoch_cannot_heartbeat_change_status_or_rejoin_but_a_newer_epoch_of_its_endpoint_can_join()
    {
        var table = await CreateTableAsync();
        var (a, b) = (Silo(1, epoch: 100), Silo(2));
        await JoinActiveAsync(table, a, b);
        Assert.True((await table.SuspectAsync(a, b, 2, LongWindow, None)).DeclaredDead);
        var version = (await table.ReadAsync(None)).Version;

        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Dead, version), await table.HeartbeatAsync(a, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Dead, version), await table.SetStatusAsync(a, SiloStatus.Active, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Dead, version), await table.JoinAsync(a, None));
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Dead, version), await table.SuspectAsync(a, b, 2, LongWindow, None));
        Assert.Equal(SiloStatus.Dead, (await OpenReader(table).ReadAsync(None)).Find(a)!.Status);

        var reborn = Silo(1, epoch: 200);
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, version + 1), await table.JoinAsync(reborn, None));
        Assert.Equal(MembershipOutcome.Superseded, (await table.JoinAsync(Silo(1, epoch: 150), None)).Outcome);
        Assert.Equal(MembershipOutcome.AlreadyExists, (await table.JoinAsync(reborn, None)).Outcome);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_newer_epoch_joining_marks_the_previous_epoch_of_its_endpoint_dead_and_removes_earlier_ones_in_the_same_change()
    {
        var table = await CreateTableAsync();
        var (old, other) = (Silo(1, epoch: 100), Silo(2));
        await JoinActiveAsync(table, old, other);
        var version = (await table.ReadAsync(None)).Version;

        var restarted = Silo(1, epoch: 101);
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, version + 1), await table.JoinAsync(restarted, None));

        var view = await OpenReader(table).ReadAsync(None);
        Assert.Equal(SiloStatus.Dead, view.Find(old)!.Status);
        Assert.Equal(SiloStatus.Joining, view.Find(restarted)!.Status);
        Assert.Equal(SiloStatus.Active, view.Find(other)!.Status);

        // The next incarnation removes the earlier tombstone: an endpoint keeps at most two entries, and the removed epoch stays refused.
        var again = Silo(1, epoch: 102);
        Assert.Equal(new MembershipWriteResult(MembershipOutcome.Applied, version + 2), await table.JoinAsync(again, None));
        view = await table.ReadAsync(None);
        Assert.Null(view.Find(old));
        Assert.Equal(SiloStatus.Dead, view.Find(restarted)!.Status);
        Assert.Equal(3, view.Entries.Count);
        Assert.Equal(MembershipOutcome.NotFound, (await table.HeartbeatAsync(old, None)).Outcome);
        Assert.Equal(MembershipOutcome.NotFound, (await table.SetStatusAsync(old, SiloStatus.Active, None)).Outcome);
        Assert.Equal(MembershipOutcome.Superseded, (await table.JoinAsync(old, None)).Outcome);
        Assert.Equal(version + 2, (await table.ReadAsync(None)).Version);
    }

    private static SiloAddress Silo(int n, long epoch = 1) => new("10.0.0." + n.ToString(System.Globalization.CultureInfo.InvariantCulture), 11111, epoch);

    private static async Task JoinActiveAsync(IMembershipTable table, params SiloAddress[] silos)
    {
        foreach (var silo in silos)
        {
            Assert.True((await table.JoinAsync(silo, None)).IsApplied);
            Assert.True((await table.SetStatusAsync(silo, SiloStatus.Active, None)).IsApplied);
        }
    }
}
