namespace ChatCluster.Grains;

/// <summary>An accepted message's place in the sender's view (PROTOCOL.md <c>ack</c>). Sent only once the message is durable.</summary>
[GenerateSerializer, Immutable, Alias("chat.SendAck")]
public sealed record SendAck(string Timeline, long Seq, string MsgId, long Ts);
