namespace ChatCluster.Grains;

/// <summary>A group's members and owner (PROTOCOL.md <c>members</c>), or why they cannot be shown.</summary>
[GenerateSerializer, Immutable, Alias("chat.MembersResult")]
public sealed record MembersResult(IReadOnlyList<string> Members, string Owner, ChatError? Error)
{
    public static MembersResult Refused(ChatErrorCode code, string message) => new([], "", new ChatError(code, message));
}
