namespace ChatCluster.Grains;

/// <summary>The outcome of a send: an <see cref="Ack"/> or an <see cref="Error"/>.</summary>
[GenerateSerializer, Immutable, Alias("chat.SendResult")]
public sealed record SendResult(SendAck? Ack, ChatError? Error)
{
    public static SendResult Accepted(SendAck ack) => new(ack, null);

    public static SendResult Refused(ChatErrorCode code, string message) => new(null, new ChatError(code, message));
}
