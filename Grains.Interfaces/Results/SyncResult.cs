namespace ChatCluster.Grains;

/// <summary>A page of a timeline (PROTOCOL.md <c>messages</c>): ascending by seq.</summary>
[GenerateSerializer, Immutable, Alias("chat.SyncResult")]
public sealed record SyncResult(IReadOnlyList<ChatMessage> Messages, long LastSeq, bool HasMore, ChatError? Error)
{
    public static SyncResult Refused(ChatErrorCode code, string message) => new([], 0, false, new ChatError(code, message));
}
