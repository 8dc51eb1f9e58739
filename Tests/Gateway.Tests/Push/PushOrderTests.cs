using System.Text;
using ChatCluster.Gateway.Push;

namespace ChatCluster.Gateway.Tests.Push;

public sealed class PushOrderTests
{
    private const string Alice = "user:alice";
    private const string Team = "group:team";
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);

    private readonly PushOrder order = new(Window);
    private readonly List<byte[]> ready = [];

    [Fact]
    public void Pushes_in_seq_order_go_out_at_once()
    {
        for (var seq = 7; seq <= 10; seq++)
        {
            Push(Alice, seq, now: 0);
        }

        Assert.Equal(["user:alice/7", "user:alice/8", "user:alice/9", "user:alice/10"], Ready());
        Assert.False(order.IsHolding);
    }

    [Fact]
    public void A_push_below_what_went_out_is_dropped()
    {
        Push(Alice, 5, now: 0);
        Push(Alice, 6, now: 0);
        Push(Alice, 6, now: 0); // delivered again by a restarted consumer group
        Push(Alice, 4, now: 0);

        Assert.Equal(["user:alice/5", "user:alice/6"], Ready());
        Assert.Equal(2, order.Dropped);
    }

    [Fact]
    public void A_push_ahead_of_a_missing_seq_waits_for_it_and_both_go_in_order()
    {
        Push(Alice, 1, now: 0);
        Push(Alice, 3, now: 10);
        Push(Alice, 4, now: 20);
        Assert.Equal(["user:alice/1"], Ready());
        Assert.True(order.IsHolding);

        Push(Alice, 2, now: 30);

        Assert.Equal(["user:alice/1", "user:alice/2", "user:alice/3", "user:alice/4"], Ready());
        order.Expire(now: 1_000, ready);
        Assert.False(order.IsHolding);
        Assert.Equal(4, ready.Count);
    }

    [Fact]
    public void An_ack_on_the_connection_fills_the_missing_seq()
    {
        Push(Alice, 1, now: 0);
        Push(Alice, 3, now: 0); // 2 is this connection's own message: it gets the ack, not a push
        Assert.Equal(["user:alice/1"], Ready());

        order.Acked(Alice, 2, now: 5, ready);

        Assert.Equal(["user:alice/1", "user:alice/3"], Ready());
    }

    [Fact]
    public void An_ack_that_comes_before_the_pushes_ahead_of_it_lets_them_through()
    {
        Push(Alice, 1, now: 0);
        order.Acked(Alice, 3, now: 0, ready); // acked before 2 was pushed: noted, nothing to send
        Push(Alice, 4, now: 0);
        Assert.Equal(["user:alice/1"], Ready());

        Push(Alice, 2, now: 1);

        Assert.Equal(["user:alice/1", "user:alice/2", "user:alice/4"], Ready());
    }

    [Fact]
    public void A_seq_missing_for_the_whole_window_is_given_up_and_a_late_copy_is_dropped()
    {
        Push(Alice, 1, now: 1_000);
        Push(Alice, 4, now: 1_010);
        Push(Alice, 3, now: 1_020);

        order.Expire(now: 1_200, ready); // 190 ms: still waiting
        Assert.Equal(["user:alice/1"], Ready());
        Assert.True(order.IsHolding);

        order.Expire(now: 1_260, ready);
        Assert.Equal(["user:alice/1", "user:alice/3", "user:alice/4"], Ready());
        Assert.False(order.IsHolding);

        Push(Alice, 2, now: 1_300);
        Push(Alice, 5, now: 1_300);
        Assert.Equal(["user:alice/1", "user:alice/3", "user:alice/4", "user:alice/5"], Ready());
        Assert.Equal(1, order.Dropped);
    }

    [Fact]
    public void An_ack_ahead_of_a_slow_push_never_gives_that_push_up()
    {
        Push(Alice, 3, now: 0);
        order.Acked(Alice, 5, now: 0, ready); // this connection's own message; 4 is someone else's, still on its way

        order.Expire(now: 10_000, ready); // no frame waits on 4: nothing to give up
        Push(Alice, 4, now: 10_000);
        Push(Alice, 6, now: 10_000);

        Assert.Equal(["user:alice/3", "user:alice/4", "user:alice/6"], Ready());
        Assert.Equal((0L, 0L), (order.Dropped, order.GivenUp));
    }

    [Fact]
    public void The_window_runs_from_the_first_push_held_not_from_an_ack_noted_before_it()
    {
        Push(Alice, 1, now: 0);
        order.Acked(Alice, 3, now: 0, ready);
        Push(Alice, 4, now: 1_000); // waits for 2

        order.Expire(now: 1_200, ready);
        Assert.Equal(["user:alice/1"], Ready());
        order.Expire(now: 1_250, ready);

        Assert.Equal(["user:alice/1", "user:alice/4"], Ready());
        Assert.Equal(1, order.GivenUp);
    }

    [Fact]
    public void Pushes_of_a_connection_that_knows_where_its_timeline_starts_wait_for_the_first_ones()
    {
        order.Acked(Alice, 9, now: 0, ready); // an ack before the start is known: noted
        order.StartAfter(Alice, 7, now: 0, ready);
        Push(Alice, 10, now: 0); // waits for 8
        Push(Alice, 7, now: 0); // at or below the start: dropped
        Assert.Empty(ready);

        Push(Alice, 8, now: 0);

        Assert.Equal(["user:alice/8", "user:alice/10"], Ready());
        Assert.Equal(1, order.Dropped);
    }

    [Fact]
    public void Timelines_are_ordered_each_on_their_own()
    {
        Push(Alice, 10, now: 0);
        Push(Team, 3, now: 0);
        Push(Alice, 12, now: 0);
        Push(Team, 4, now: 0);
        Push(Team, 2, now: 0);

        Assert.Equal(["user:alice/10", "group:team/3", "group:team/4"], Ready());
        Assert.Equal(1, order.Dropped);
    }

    [Fact]
    public void Acks_before_the_first_push_are_noted_so_a_push_right_above_them_does_not_wait()
    {
        order.Acked(Alice, 9, now: 0, ready);
        order.Acked(Alice, 11, now: 0, ready);
        Push(Alice, 8, now: 0); // the first push: goes out, below the acks
        Push(Alice, 10, now: 0); // 9 was acked: goes out, and so does the ack of 11 behind it
        Push(Alice, 12, now: 0);

        Assert.Equal(["user:alice/8", "user:alice/10", "user:alice/12"], Ready());
        Assert.False(order.IsHolding);
    }

    [Fact]
    public void A_first_push_above_an_early_ack_leaves_it_behind()
    {
        order.Acked(Alice, 4, now: 0, ready);
        Push(Alice, 6, now: 0);
        Push(Alice, 7, now: 0);
        Push(Alice, 3, now: 0); // below what went out: dropped

        Assert.Equal(["user:alice/6", "user:alice/7"], Ready());
        Assert.False(order.IsHolding);
        Assert.Equal(1, order.Dropped);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public void The_window_setting_is_checked(int milliseconds)
    {
        var options = new Auth.GatewayOptions { DevTokens = true, PushOrderWindow = TimeSpan.FromMilliseconds(milliseconds) };

        var error = Assert.Single(options.Validate());
        Assert.Contains("ChatCluster:Gateway:PushOrderWindow", error, StringComparison.Ordinal);
        Assert.Empty(new Auth.GatewayOptions { DevTokens = true }.Validate());
    }

    private void Push(string timeline, long seq, long now) =>
        order.Push(timeline, seq, Encoding.UTF8.GetBytes($"{timeline}/{seq}"), now, ready);

    private string[] Ready() => [.. ready.Select(f => Encoding.UTF8.GetString(f))];
}
