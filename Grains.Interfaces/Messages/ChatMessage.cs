namespace ChatCluster.Grains;

/// <summary>
/// One message in one timeline (PROTOCOL.md's <c>msg</c>). A direct message is two of these, one in
/// each user's timeline, with the same <see cref="MsgId"/> and their own <see cref="Seq"/>.
/// </summary>
/// <param name="Timeline">The timeline it belongs to: <c>user:ID</c> or <c>group:ID</c>.</param>
/// <param name="Seq">Its place in the timeline, from 1, strictly increasing.</param>
/// <param name="MsgId">Server-assigned unique id (a ULID).</param>
/// <param name="From">The sender's user id (the token's subject); for system messages, the user the event is about.</param>
/// <param name="To">The timeline it was sent to, e.g. <c>user:bob</c> or <c>group:g1</c>.</param>
/// <param name="ClientMsgId">The sender's id for the message, unique per sender; empty for system messages.</param>
/// <param name="Kind">User or system.</param>
/// <param name="Body">The body: one JSON object, as raw JSON text.</param>
/// <param name="Ts">When the server accepted it, Unix milliseconds.</param>
[GenerateSerializer, Immutable, Alias("chat.ChatMessage")]
public sealed record ChatMessage(
    string Timeline,
    long Seq,
    string MsgId,
    string From,
    string To,
    string ClientMsgId,
    MessageKind Kind,
    string Body,
    long Ts)
{
    /// <summary>The message's ack: where it is in its timeline.</summary>
    public SendAck ToAck() => new(Timeline, Seq, MsgId, Ts);
}
