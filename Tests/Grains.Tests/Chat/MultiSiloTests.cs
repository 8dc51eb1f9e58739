using Orleans.TestingHost;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// The chat guarantees on an Orleans cluster of two silos in one process (state and messages in PostgreSQL, one
/// SQLite log): a grain that moves to another silo, and a silo that is killed, lose no acked message, reuse no seq
/// and store no clientMsgId twice.
/// </summary>
public sealed class MultiSiloTests
{
    [Fact(Timeout = 180_000)]
    public async Task A_group_grain_moved_to_the_other_silo_keeps_its_timeline_and_dedupe()
    {
        using var store = await ChatStore.CreateAsync("postgres");
        await using var silo = await ChatSilo.StartAsync(store, silos: 2);
        var senders = Enumerable.Range(0, 10).Select(i => $"m{i}").ToList();
        Assert.Null((await silo.Group("moving").Create("m0", senders)).Error);
        var acks = new List<SendAck>();
        for (var round = 0; round < 3; round++)
        {
            var results = await Task.WhenAll(senders.Select(s => silo.Group("moving").Send(s, $"{s}-{round}", "{}", null)));
            acks.AddRange(results.Select(r => r.Ack!));
            var host = await HostOf(silo, silo.Group("moving"));
            var other = silo.Cluster.Silos.Select(s => s.SiloAddress).First(a => !a.Equals(host));
            await silo.Cluster.MigrateAsync(silo.Group("moving"), other);
            Assert.Equal(other, await HostOf(silo, silo.Group("moving")));
        }

        var resent = await silo.Group("moving").Send("m3", "m3-1", "{}", null);
        Assert.Equal(acks.Single(a => a.MsgId == resent.Ack!.MsgId), resent.Ack);
        var page = await silo.Group("moving").Sync("m0", 0, 500);
        Assert.Equal(Enumerable.Range(1, page.Messages.Count).Select(i => (long)i), page.Messages.Select(m => m.Seq));
        Assert.Equal(acks.Select(a => a.Seq).Order(), page.Messages.Where(m => m.Kind == MessageKind.User).Select(m => m.Seq));
    }

    [Fact(Timeout = 180_000)]
    public async Task After_a_silo_is_killed_its_grains_come_back_elsewhere_with_every_acked_message()
    {
        using var store = await ChatStore.CreateAsync("postgres");
        await using var silo = await ChatSilo.StartAsync(store, silos: 2);
        var users = Enumerable.Range(0, 20).Select(i => $"k{i}").ToList();
        var acks = (await Task.WhenAll(users.Select((u, i) => silo.User(u).SendDirect(users[(i + 1) % users.Count], $"{u}-1", "{}", null))))
            .Select(r => r.Ack!).ToList();

        // Kill the silo that holds most of the senders' grains (not the first: the test cluster's client talks through it).
        var victim = silo.Cluster.Silos[1];
        await silo.Cluster.KillSiloAsync(victim);
        await silo.Cluster.WaitForLivenessToStabilizeAsync();

        foreach (var (user, index) in users.Select((u, i) => (u, i)))
        {
            var mine = await silo.User(user).Sync(0, 100);
            Assert.Null(mine.Error);
            var sent = Assert.Single(mine.Messages, m => m.From == user);
            Assert.Equal(acks[index].MsgId, sent.MsgId);
            Assert.Equal(acks[index].Seq, sent.Seq);
            var again = await silo.User(user).SendDirect(users[(index + 1) % users.Count], $"{user}-1", "{}", null);
            Assert.Equal(acks[index].MsgId, again.Ack!.MsgId); // de-duplicated by the new activation
            var next = await silo.User(user).SendDirect(users[(index + 1) % users.Count], $"{user}-2", "{}", null);
            Assert.True(next.Ack!.Seq > mine.LastSeq, $"{user}: seq {next.Ack.Seq} reused after the kill (last {mine.LastSeq})");
        }
    }

    private static async Task<SiloAddress> HostOf(ChatSilo silo, IAddressable grain) =>
        await silo.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain) ?? throw new InvalidOperationException("the grain is not active");
}
