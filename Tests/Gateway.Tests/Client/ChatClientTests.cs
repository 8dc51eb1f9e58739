using System.Collections.Concurrent;
using ChatCluster.Client;
using ChatCluster.Client.Messages;
using ChatCluster.Gateway.Tests.EndToEnd;

namespace ChatCluster.Gateway.Tests.Client;

/// <summary>The C# client against the real gateway: push, catch-up, and a gateway restart in the middle of sending.</summary>
public sealed class ChatClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 60_000)]
    public async Task A_direct_message_reaches_the_recipient_and_the_senders_other_device_but_not_the_sending_client()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.ClientAsync("cc-dm-alice");
        await using var alicePhone = await host.ClientAsync("cc-dm-alice");
        await using var bob = await host.ClientAsync("cc-dm-bob");

        var ack = await alice.SendTextAsync("user:cc-dm-bob", "hi bob");
        Assert.Equal("user:cc-dm-alice", ack.Timeline);

        var atBob = await NextAsync(bob);
        Assert.Equal(("user:cc-dm-bob", "cc-dm-alice", "hi bob", ack.MsgId), (atBob.Timeline, atBob.From, atBob.Text, atBob.MsgId));

        var atPhone = await NextAsync(alicePhone);
        Assert.Equal(("user:cc-dm-alice", ack.Seq, ack.MsgId), (atPhone.Timeline, atPhone.Seq, atPhone.MsgId));

        // The sending client has the ack, not a msg: the first message it gets is bob's answer, which comes after its own.
        var answer = await bob.SendTextAsync("user:cc-dm-alice", "hi alice");
        var atAlice = await NextAsync(alice);
        Assert.Equal(("hi alice", ack.Seq + 1), (atAlice.Text, atAlice.Seq));
        Assert.Equal(answer.MsgId, atAlice.MsgId);
        Assert.Equal("cc-dm-alice", alice.UserId);
    }

    [Fact(Timeout = 60_000)]
    public async Task Follow_delivers_the_history_after_the_given_seq_in_order()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.ClientAsync("cc-follow-alice");
        for (var i = 1; i <= 3; i++)
        {
            await alice.SendTextAsync("user:cc-follow-bob", $"m{i}");
        }

        await using var bob = await host.ClientAsync("cc-follow-bob");
        bob.Follow("user:cc-follow-bob", 1);

        Assert.Equal(("m2", 2L), Describe(await NextAsync(bob)));
        Assert.Equal(("m3", 3L), Describe(await NextAsync(bob)));
        Assert.False(bob.Messages.TryRead(out _));
    }

    [Fact(Timeout = 60_000)]
    public async Task Group_requests_work_through_the_client()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var owner = await host.ClientAsync("cc-group-owner");
        await using var member = await host.ClientAsync("cc-group-member");

        await owner.CreateGroupAsync("cc-group", ["cc-group-member"]);
        var members = await member.MembersAsync("cc-group");
        Assert.Equal("cc-group-owner", members.Owner);
        Assert.Equal(["cc-group-member", "cc-group-owner"], members.Members.Order(StringComparer.Ordinal));

        var ack = await owner.SendTextAsync("group:cc-group", "hello group");
        var page = await member.SyncAsync("group:cc-group", 0);
        Assert.Contains(page.Messages, message => message.MsgId == ack.MsgId && message.Text == "hello group");

        await member.ReadAsync("group:cc-group", ack.Seq);
        var state = (await member.TimelinesAsync()).Single(timeline => timeline.Timeline == "group:cc-group");
        Assert.Equal((ack.Seq, ack.Seq, 0L), (state.LastSeq, state.ReadSeq, state.Unread));

        var refused = await Assert.ThrowsAsync<ChatCluster.Client.Protocol.ChatServerException>(
            () => owner.CreateGroupAsync("cc-group", []));
        Assert.Equal("conflict", refused.Code);
    }

    [Fact(Timeout = 180_000)]
    public async Task Sends_across_a_gateway_restart_are_each_stored_once_and_the_recipient_gets_every_message_in_order()
    {
        const int Senders = 4;
        const int PerSender = 60;
        await using var host = await GatewayHost.StartAsync(configure: settings =>
        {
            settings["ChatCluster:Gateway:SendsPerSecond"] = "10000";
            settings["ChatCluster:Gateway:SendBurst"] = "10000";
        });
        await using var alice = await host.ClientAsync("cc-restart-alice");
        await using var bob = await host.ClientAsync("cc-restart-bob");
        var reasons = new ConcurrentQueue<string?>();
        alice.StateChanged += (_, change) => reasons.Enqueue(change.Reason);

        var acks = new ConcurrentDictionary<string, SendAck>();
        var acked = 0;
        var sending = Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            for (var i = 0; i < PerSender; i++)
            {
                var clientMsgId = $"s{sender}-{i}";
                acks[clientMsgId] = await alice.SendTextAsync("user:cc-restart-bob", clientMsgId, clientMsgId);
                Interlocked.Increment(ref acked);
            }
        })).ToList();

        while (Volatile.Read(ref acked) < Senders * PerSender / 4)
        {
            await Task.Delay(10);
        }

        await host.RestartAsync(whileDown: () => Task.Delay(300));
        await Task.WhenAll(sending).WaitAsync(Wait * 2);

        Assert.True(alice.Reconnects >= 1, "the client never reconnected");
        Assert.Contains(reasons, reason => reason is not null && reason.Contains("1012", StringComparison.Ordinal));

        // Stored exactly once each, at the place its ack said.
        var stored = await SyncAllAsync(alice, "user:cc-restart-alice");
        Assert.Equal(Senders * PerSender, stored.Count);
        Assert.Equal(stored.Count, stored.Select(message => message.ClientMsgId).Distinct().Count());
        foreach (var message in stored)
        {
            var ack = acks[message.ClientMsgId];
            Assert.Equal((ack.Seq, ack.MsgId), (message.Seq, message.MsgId));
        }

        // Bob was offline during the restart; his client caught up: every message once, in seq order.
        var received = new List<ChatMessage>();
        while (received.Count < Senders * PerSender)
        {
            received.Add(await NextAsync(bob));
        }

        Assert.True(received.Zip(received.Skip(1)).All(pair => pair.First.Seq < pair.Second.Seq), "out of order");
        Assert.Equal(acks.Keys.Order(StringComparer.Ordinal), received.Select(message => message.ClientMsgId).Order(StringComparer.Ordinal));
    }

    private static async Task<List<ChatMessage>> SyncAllAsync(ChatClient client, string timeline)
    {
        var all = new List<ChatMessage>();
        MessagePage page;
        do
        {
            page = await client.SyncAsync(timeline, all.Count == 0 ? 0 : all[^1].Seq, 500);
            all.AddRange(page.Messages);
        }
        while (page.HasMore);

        return all;
    }

    private static async Task<ChatMessage> NextAsync(ChatClient client)
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await client.Messages.ReadAsync(timeout.Token);
    }

    private static (string?, long) Describe(ChatMessage message) => (message.Text, message.Seq);
}
