using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ChatCluster.Client;
using ChatCluster.Client.Messages;
using ChatCluster.Client.Tokens;
using ChatCluster.Testing.Processes;
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
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 300_000)]
    public async Task Users_on_two_silos_get_direct_and_group_messages_live_and_find_every_acked_message_in_sync()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true, password: RedisPassword);
        var database = await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("rediscluster");
        var clusterId = "silo-tests-" + Guid.NewGuid().ToString("N")[..8];
        await using var first = StartClusterSilo(redis, database, clusterId);
        await using var second = StartClusterSilo(redis, database, clusterId);
        await first.WaitHealthyAsync(StartTimeout);
        await second.WaitHealthyAsync(StartTimeout);
        using var httpFirst = new HttpClient { BaseAddress = first.BaseAddress };
        using var httpSecond = new HttpClient { BaseAddress = second.BaseAddress };
        await BothSeeTwoSilosAsync(httpFirst, httpSecond);

        // Users on both silos, several of them, so that their timelines' partitions (and the push grains, placed
        // where their queue is read) are on both silos: pushes cross from one silo to the other's gateway observer.
        const int PerSilo = 3;
        var onFirst = new List<User>();
        var onSecond = new List<User>();
        outputs = () => $"first silo:\n{first.Output}\nsecond silo:\n{second.Output}";
        try
        {
            for (var i = 0; i < PerSilo; i++)
            {
                onFirst.Add(new User($"ann{i}", await ConnectAsync(first, httpFirst, $"ann{i}")));
                onSecond.Add(new User($"bob{i}", await ConnectAsync(second, httpSecond, $"bob{i}")));
            }

            var acked = new List<(User From, User To, string Timeline, SendAck Ack)>();
            foreach (var (from, to) in onFirst.Zip(onSecond).SelectMany(p => new[] { (p.First, p.Second), (p.Second, p.First) }))
            {
                var ack = await from.Client.SendTextAsync($"user:{to.Name}", $"hi {to.Name} from {from.Name}");
                acked.Add((from, to, $"user:{to.Name}", ack));
            }

            foreach (var (from, to, _, ack) in acked)
            {
                var pushed = await ReceiveAsync(to, m => m.MsgId == ack.MsgId);
                Assert.Equal(($"user:{to.Name}", from.Name, $"hi {to.Name} from {from.Name}"), (pushed.Timeline, pushed.From, pushed.Text));
            }

            // A group with everyone, a message from each silo, pushed live to members on both silos. Not checked for the
            // group's creator: its client follows a timeline it first sees in its own ack from that ack on (Client/'s
            // MessageFeed), and across silos its ack can come back before the pushes of the earlier messages.
            var ann = onFirst[0];
            var bob = onSecond[0];
            await ann.Client.CreateGroupAsync("team", [.. onFirst.Concat(onSecond).Skip(1).Select(u => u.Name)]);
            var fromBob = await bob.Client.SendTextAsync("group:team", "hello team from bob");
            var fromAnn = await ann.Client.SendTextAsync("group:team", "hello team from ann");
            await ReceiveAsync(onSecond[1], m => m.MsgId == fromAnn.MsgId);
            await ReceiveAsync(onFirst[1], m => m.MsgId == fromBob.MsgId);
            await ReceiveAsync(bob, m => m.MsgId == fromAnn.MsgId);

            // Every acked message is in sync: the recipient's and the sender's timelines (each read through its own
            // user's silo), and the group's through a member on each silo.
            foreach (var (from, to, timeline, ack) in acked)
            {
                var inbox = await to.Client.SyncAsync(timeline, 0, 500);
                Assert.Contains(inbox.Messages, m => m.MsgId == ack.MsgId && m.From == from.Name);
                var outbox = await from.Client.SyncAsync($"user:{from.Name}", 0, 500);
                Assert.Contains(outbox.Messages, m => m.MsgId == ack.MsgId);
            }

            foreach (var member in new[] { onFirst[^1], onSecond[^1] })
            {
                var group = await member.Client.SyncAsync("group:team", 0, 500);
                Assert.Contains(group.Messages, m => m.MsgId == fromBob.MsgId && m.Seq == fromBob.Seq);
                Assert.Contains(group.Messages, m => m.MsgId == fromAnn.MsgId && m.Seq == fromAnn.Seq);
            }
        }
        finally
        {
            foreach (var user in onFirst.Concat(onSecond))
            {
                await user.Client.DisposeAsync();
            }
        }

        foreach (var http in new[] { httpFirst, httpSecond })
        {
            var health = await HealthAsync(http);
            Assert.Equal("ok", health.GetProperty("status").GetString());
            Assert.Equal(2, health.GetProperty("activeSilos").GetInt32());
        }

        Assert.DoesNotContain(RedisPassword, first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisPassword, second.Output, StringComparison.Ordinal);
        Assert.Contains($"Redis clustering at {redis.Endpoint}, cluster {clusterId}", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
    }

    private Func<string> outputs = () => "";

    private sealed record User(string Name, ChatClient Client);

    private static SiloProcess StartClusterSilo(RedisServer redis, string database, string clusterId) =>
        SiloProcess.Start(new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = clusterId,
            ["CHATCLUSTER__CLUSTER__SILOPORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture),
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = $"{redis.Endpoint},password={RedisPassword}",
            ["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres",
            ["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = database,
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = "redis-cluster-tests-signing-key-0123456789",
        });

    private static async Task<ChatClient> ConnectAsync(SiloProcess silo, HttpClient http, string user)
    {
        var client = new ChatClient(new ChatClientOptions
        {
            ServerUri = new Uri($"ws://127.0.0.1:{silo.Port}/ws"),
            TokenProvider = DevTokens.For(http, user),
            RequestTimeout = TimeSpan.FromSeconds(30),
        });
        await client.ConnectAsync();
        return client;
    }

    private static Task<JsonElement> HealthAsync(HttpClient http) =>
        http.GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative));

    private static async Task BothSeeTwoSilosAsync(params HttpClient[] silos)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var seen = new List<int>();
            foreach (var http in silos)
            {
                seen.Add((await HealthAsync(http)).GetProperty("activeSilos").GetInt32());
            }

            if (seen.All(count => count == silos.Length))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the silos never saw each other: {string.Join(", ", seen)}");
            await Task.Delay(200);
        }
    }

    /// <summary>Reads pushed messages until one matches; pushes are the only source here (nothing is followed yet, so nothing is synced).</summary>
    private async Task<ChatMessage> ReceiveAsync(User user, Func<ChatMessage, bool> match)
    {
        using var timeout = new CancellationTokenSource(PushTimeout);
        try
        {
            while (true)
            {
                var message = await user.Client.Messages.ReadAsync(timeout.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{user.Name} got no matching push within {PushTimeout.TotalSeconds} s\n{outputs()}");
            throw;
        }
    }
}
