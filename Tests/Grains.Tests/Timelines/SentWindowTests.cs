using ChatCluster.Grains.Timelines;

namespace ChatCluster.Grains.Tests.Timelines;

public sealed class SentWindowTests
{
    [Fact]
    public async Task A_resend_of_an_accepted_message_gets_its_ack_until_the_message_leaves_the_window()
    {
        var window = new SentWindow("user:bob", capacity: 3);
        for (var seq = 1; seq <= 5; seq++)
        {
            window.Accept(Message(seq, from: "alice", clientMsgId: $"c{seq}"), reservation: null);
        }

        Assert.Equal(3, window.Count);
        Assert.False(window.TryGet("alice", "c1", out _));
        Assert.False(window.TryGet("alice", "c2", out _));
        Assert.True(window.TryGet("alice", "c4", out var ack));
        Assert.Equal(new SendAck("user:bob", 4, "m4", 4_000), await ack);
        Assert.False(window.TryGet("carol", "c4", out _)); // the key is the sender and the id together
    }

    [Fact]
    public async Task A_resend_while_the_first_attempt_is_in_flight_waits_for_it_and_gets_its_ack()
    {
        var window = new SentWindow("user:bob", capacity: 10);
        var reservation = window.Reserve("alice", "c1");

        Assert.True(window.TryGet("alice", "c1", out var waiting));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, window.Count);

        window.Accept(Message(7, from: "alice", clientMsgId: "c1"), reservation);

        Assert.Equal(new SendAck("user:bob", 7, "m7", 7_000), await waiting);
        Assert.True(window.TryGet("alice", "c1", out var later));
        Assert.Equal(7, (await later).Seq);
        Assert.Equal(1, window.Count);
    }

    [Fact]
    public async Task A_failed_send_fails_its_waiters_and_is_forgotten_so_a_resend_tries_again()
    {
        var window = new SentWindow("user:bob", capacity: 10);
        var reservation = window.Reserve("alice", "c1");
        Assert.True(window.TryGet("alice", "c1", out var waiting));

        window.Release(reservation, new TimeoutException("the log did not answer"));

        await Assert.ThrowsAsync<TimeoutException>(() => waiting);
        Assert.False(window.TryGet("alice", "c1", out _));
    }

    [Fact]
    public void System_messages_and_messages_without_a_client_id_are_not_remembered()
    {
        var window = new SentWindow("group:g1", capacity: 10);
        window.Remember(Message(1, from: "alice", clientMsgId: "c1") with { Kind = MessageKind.System });
        window.Remember(Message(2, from: "alice", clientMsgId: ""));

        Assert.Equal(0, window.Count);
        Assert.False(window.TryGet("alice", "c1", out _));
    }

    [Fact]
    public void A_capacity_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SentWindow("user:bob", capacity: 0));
    }

    private static ChatMessage Message(long seq, string from, string clientMsgId) =>
        new("user:bob", seq, $"m{seq}", from, "user:bob", clientMsgId, MessageKind.User, "{}", seq * 1_000);
}
