using ChatCluster.Grains.Timelines;

namespace ChatCluster.Grains.Tests.Timelines;

public sealed class RecentWindowTests
{
    [Fact]
    public void Keeps_the_newest_in_seq_order_and_returns_each_evicted_message_oldest_first()
    {
        var window = new RecentWindow(capacity: 100);
        var evicted = new List<long>();
        for (var seq = 1; seq <= 1_000; seq++)
        {
            if (window.Add(Message(seq)) is { } gone)
            {
                evicted.Add(gone.Seq);
            }
        }

        Assert.Equal(100, window.Count);
        Assert.Equal(Enumerable.Range(901, 100).Select(s => (long)s), Enumerable.Range(0, window.Count).Select(i => window[i].Seq));
        Assert.Equal(Enumerable.Range(1, 900).Select(s => (long)s), evicted);
    }

    [Fact]
    public void Messages_that_finish_out_of_order_are_kept_sorted_across_growth_and_wrap_around()
    {
        var window = new RecentWindow(capacity: 40);
        var random = new Random(7);
        var seqs = Enumerable.Range(1, 500).Select(s => (long)s).ToArray();
        for (var i = 0; i + 3 < seqs.Length; i += 4)
        {
            random.Shuffle(seqs.AsSpan(i, 4)); // concurrent appends: neighbours finish in any order
        }

        long lastEvicted = 0;
        foreach (var seq in seqs)
        {
            if (window.Add(Message(seq)) is { } gone)
            {
                lastEvicted = Math.Max(lastEvicted, gone.Seq);
            }
        }

        var kept = Enumerable.Range(0, window.Count).Select(i => window[i].Seq).ToArray();
        Assert.Equal(kept.Order(), kept);
        Assert.Equal(Enumerable.Range(461, 40).Select(s => (long)s), kept);
        Assert.Equal(460, lastEvicted);
    }

    [Fact]
    public void A_message_older_than_everything_in_a_full_window_is_handed_back_not_kept()
    {
        var window = new RecentWindow(capacity: 3);
        foreach (var seq in new long[] { 5, 6, 7 })
        {
            Assert.Null(window.Add(Message(seq)));
        }

        var late = Message(4);
        Assert.Same(late, window.Add(late));
        Assert.Equal([5L, 6L, 7L], Enumerable.Range(0, window.Count).Select(i => window[i].Seq));
    }

    [Fact]
    public void FirstAfter_finds_the_first_message_past_a_seq()
    {
        var window = new RecentWindow(capacity: 4);
        foreach (var seq in new long[] { 2, 4, 6, 8, 10 })
        {
            window.Add(Message(seq)); // 2 is evicted: the window holds 4, 6, 8, 10 and wraps around
        }

        Assert.Equal(0, window.FirstAfter(0));
        Assert.Equal(0, window.FirstAfter(3));
        Assert.Equal(1, window.FirstAfter(4));
        Assert.Equal(3, window.FirstAfter(9));
        Assert.Equal(4, window.FirstAfter(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => window[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentWindow(0));
    }

    private static ChatMessage Message(long seq) =>
        new("user:a", seq, $"m{seq}", "a", "user:b", $"c{seq}", MessageKind.User, "{}", 0);
}
