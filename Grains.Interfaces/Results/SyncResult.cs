namespace ChatCluster.Grains;

/// <summary>A page of a timeline (PROTOCOL.md <c>messages</c>): ascending by seq.</summary>
public sealed record SyncResult(IReadOnlyList<ChatMessage> Messages, long LastSeq, bool HasMore, ChatError? Error)
{
    public static SyncResult Refused(ChatErrorCode code, string message) => new([], 0, false, new ChatError(code, message));
}
