namespace ChatCluster.Grains.Timelines;

/// <summary>
/// What a grain publishes for every message it appends: the message, and the connection it came
/// from (which gets the ack, so push skips it). Stream: namespace <see cref="Namespace"/>, key = the timeline.
/// </summary>
public sealed record TimelineEvent(ChatMessage Message, Session? Origin)
{
    public const string Namespace = "timeline";
}
