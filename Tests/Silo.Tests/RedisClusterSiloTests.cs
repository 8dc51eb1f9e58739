using ChatCluster.Client.Messages;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// Two silo processes in cluster mode (Orleans' Redis clustering, PostgreSQL grain state, the Redis Streams log),
/// each serving WebSockets: users connected to different silos get each other's direct messages pushed live (through
/// the other silo's gateway observer), group messages sent through either silo reach members on both silos live, and
/// every acked message is in <c>sync</c>.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class RedisClusterSiloTests
{
    private const string RedisPassword = "redis-cluster-test-secret";

    [Fact(Timeout = 300_000)]
    public async Task Users_on_two_silos_get_direct_and_group_messages_live_and_find_every_acked_message_in_sync()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true, password: RedisPassword);
        var database = await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("rediscluster");
        await using var cluster = new RedisClusterProcesses(redis, database);
        var first = cluster.StartSilo(clientGateway: false);
        var second = cluster.StartSilo(clientGateway: false);
        await first.WaitHealthyAsync(RedisClusterProcesses.StartTimeout);
        await second.WaitHealthyAsync(RedisClusterProcesses.StartTimeout);
        await cluster.WaitUntilAllSeeAsync(2, first, second);

        // Users on both silos, several of them, so that their timelines' partitions (and the push grains, placed
        // where their queue is read) are on both silos: pushes cross from one silo to the other's gateway observer.
        var onFirst = new List<LiveUser>();
        var onSecond = new List<LiveUser>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                onFirst.Add(await LiveUser.ConnectAsync(first, $"ann{i}"));
                onSecond.Add(await LiveUser.ConnectAsync(second, $"bob{i}"));
            }

            await ExchangeLiveAsync(onFirst, onSecond, cluster.Outputs);
        }
        finally
        {
            foreach (var user in onFirst.Concat(onSecond))
            {
                await user.DisposeAsync();
            }
        }

        foreach (var silo in new[] { first, second })
        {
            var health = await RedisClusterProcesses.HealthAsync(silo);
            Assert.Equal("ok", health.GetProperty("status").GetString());
            Assert.Equal(2, health.GetProperty("activeSilos").GetInt32());
        }

        Assert.DoesNotContain(RedisPassword, first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisPassword, second.Output, StringComparison.Ordinal);
        Assert.Contains($"Redis clustering at {redis.Endpoint}, cluster {cluster.ClusterId}", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// Direct messages from each user of <paramref name="left"/> to one of <paramref name="right"/> and back, and a group
    /// of everyone with a message from each side: each pushed live to its recipients, and each acked message in the
    /// <c>sync</c> of the recipient's and the sender's timelines and of the group (read through a member on each side).
    /// </summary>
    internal static async Task ExchangeLiveAsync(IReadOnlyList<LiveUser> left, IReadOnlyList<LiveUser> right, Func<string> diagnostics)
    {
        var acked = new List<(LiveUser From, LiveUser To, SendAck Ack)>();
        foreach (var (from, to) in left.Zip(right).SelectMany(p => new[] { (p.First, p.Second), (p.Second, p.First) }))
        {
            acked.Add((from, to, await from.Client.SendTextAsync($"user:{to.Name}", $"hi {to.Name} from {from.Name}")));
        }

        foreach (var (from, to, ack) in acked)
        {
            var pushed = await to.ReceiveAsync(m => m.MsgId == ack.MsgId, diagnostics);
            Assert.Equal(($"user:{to.Name}", from.Name, $"hi {to.Name} from {from.Name}"), (pushed.Timeline, pushed.From, pushed.Text));
        }

        // Not checked for the group's creator: its client follows a timeline it first sees in its own ack from that ack
        // on (Client/'s MessageFeed), and across processes its ack can come back before the pushes of earlier messages.
        var group = "team-" + Guid.NewGuid().ToString("N")[..6];
        await left[0].Client.CreateGroupAsync(group, [.. left.Concat(right).Skip(1).Select(u => u.Name)]);
        var fromRight = await right[0].Client.SendTextAsync($"group:{group}", "hello team from the right");
        var fromLeft = await left[0].Client.SendTextAsync($"group:{group}", "hello team from the left");
        await right[1].ReceiveAsync(m => m.MsgId == fromLeft.MsgId, diagnostics);
        await left[1].ReceiveAsync(m => m.MsgId == fromRight.MsgId, diagnostics);
        await right[0].ReceiveAsync(m => m.MsgId == fromLeft.MsgId, diagnostics);

        foreach (var (from, to, ack) in acked)
        {
            var inbox = await to.Client.SyncAsync($"user:{to.Name}", 0, 500);
            Assert.Contains(inbox.Messages, m => m.MsgId == ack.MsgId && m.From == from.Name);
            var outbox = await from.Client.SyncAsync($"user:{from.Name}", 0, 500);
            Assert.Contains(outbox.Messages, m => m.MsgId == ack.MsgId);
        }

        foreach (var member in new[] { left[^1], right[^1] })
        {
            var page = await member.Client.SyncAsync($"group:{group}", 0, 500);
            Assert.Contains(page.Messages, m => m.MsgId == fromRight.MsgId && m.Seq == fromRight.Seq);
            Assert.Contains(page.Messages, m => m.MsgId == fromLeft.MsgId && m.Seq == fromLeft.Seq);
        }
    }
}
