using ChatCluster.Client;
using ChatCluster.Client.Messages;
using ChatCluster.Testing.Processes;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// Two stand-alone gateway processes and three silo processes: users connected to different gateways (or to a silo's
/// own WebSocket endpoint) get each other's direct and group messages pushed live, wherever the grains and the push
/// consumers run.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class CrossGatewayTests
{
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 300_000)]
    public async Task Direct_and_group_messages_reach_users_on_other_gateways()
    {
        await using var cluster = await ChaosCluster.StartAsync();
        var (gatewayA, gatewayB, silo) = (cluster.Gateways[0], cluster.Gateways[1], cluster.Silos[2]);
        await using var alice = await cluster.ConnectAsync(gatewayA, "alice");
        await using var bob = await cluster.ConnectAsync(gatewayB, "bob");
        await using var carol = await cluster.ConnectAsync(silo, "carol");

        // Several recipients, so their grains and log partitions spread over the silos.
        var direct = new List<(ChatClient To, SendAck Ack)>();
        for (var i = 0; i < 5; i++)
        {
            direct.Add((bob, await alice.SendTextAsync("user:bob", $"to bob {i}")));
            direct.Add((carol, await alice.SendTextAsync("user:carol", $"to carol {i}")));
        }

        await alice.CreateGroupAsync("team", ["bob", "carol"]);
        var group = await bob.SendTextAsync("group:team", "hello team");

        foreach (var (to, ack) in direct)
        {
            await ReceiveAsync(to, m => m.MsgId == ack.MsgId);
        }

        var onAlice = await ReceiveAsync(alice, m => m.MsgId == group.MsgId);
        var onCarol = await ReceiveAsync(carol, m => m.MsgId == group.MsgId);
        Assert.Equal(("group:team", "bob", "hello team"), (onAlice.Timeline, onAlice.From, onAlice.Text));
        Assert.Equal(group.Seq, onCarol.Seq);
    }

    /// <summary>Reads pushed messages until one matches; pushes are the only source here (no timeline is followed, so nothing is synced).</summary>
    private static async Task<ChatMessage> ReceiveAsync(ChatClient client, Func<ChatMessage, bool> match)
    {
        using var timeout = new CancellationTokenSource(PushTimeout);
        try
        {
            while (true)
            {
                var message = await client.Messages.ReadAsync(timeout.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{client.UserId} got no matching push within {PushTimeout.TotalSeconds} s");
            throw;
        }
    }
}
