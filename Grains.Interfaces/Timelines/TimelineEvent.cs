namespace ChatCluster.Grains;

/// <summary>
/// What a grain publishes to the log for every message it appends: the message, and the connection it came
/// from (which gets the ack, so push skips it). Published on stream (<see cref="TimelineStreams.Namespace"/>,
/// the timeline's name) through provider <see cref="TimelineStreams.Provider"/>; consumers read it from a
/// reader provider, one stream per log partition (see <see cref="TimelineStreams"/>).
/// </summary>
/// <param name="Message">The message, with its seq in its timeline.</param>
/// <param name="Origin">The connection that sent it, if it came from a client.</param>
[GenerateSerializer, Immutable, Alias("chat.TimelineEvent")]
public sealed record TimelineEvent(ChatMessage Message, Session? Origin);
