namespace ChatCluster.Grains;

/// <summary>
/// What a grain publishes to the log for every message it appends: the message, and the connection it came
/// from (which gets the ack, so push skips it). Published on stream (<see cref="TimelineStreams.Namespace"/>,
/// the timeline's name) through provider <see cref="TimelineStreams.Provider"/>; consumers read it from a
/// reader provider, one stream per log partition (see <see cref="TimelineStreams"/>).
/// </summary>
/// <param name="Message">The message, with its seq in its timeline.</param>
/// <param name="Origin">The connection that sent it, if it came from a client.</param>
/// <param name="Recipients">
/// The timeline owner's connected devices when the message was appended (a <c>user:</c> timeline: the user grain knows
/// them), so push needs no look-up; null for a <c>group:</c> timeline, whose push asks the group once per batch.
/// </param>
[GenerateSerializer, Immutable, Alias("chat.TimelineEvent")]
public sealed record TimelineEvent(ChatMessage Message, Session? Origin, Session[]? Recipients = null);
