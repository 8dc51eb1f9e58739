namespace ChatCluster.Client.Messages;

/// <summary>What the message feed works through, in the order the connection saw it.</summary>
internal abstract record FeedItem
{
    /// <summary>A <c>msg</c> frame pushed by the server.</summary>
    public sealed record Pushed(ChatMessage Message) : FeedItem;

    /// <summary>An <c>ack</c> for this client's own send: that seq needs no delivery.</summary>
    public sealed record OwnAck(string Timeline, long Seq) : FeedItem;

    /// <summary>A connection (the first or a new one) is up: catch up every followed timeline to these states.</summary>
    public sealed record Connected(IReadOnlyList<TimelineState> Timelines) : FeedItem;

    /// <summary>The application asked to follow a timeline from a seq it already has.</summary>
    public sealed record Follow(string Timeline, long AfterSeq) : FeedItem;
}
