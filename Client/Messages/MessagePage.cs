using System.Text.Json;

namespace ChatCluster.Client.Messages;

/// <summary>A <c>sync</c> reply: messages in ascending seq, the timeline's last seq, and whether more follow.</summary>
public sealed record MessagePage(string Timeline, IReadOnlyList<ChatMessage> Messages, long LastSeq, bool HasMore)
{
    internal static MessagePage FromJson(JsonElement json) => new(
        json.GetProperty("timeline").GetString()!,
        [.. json.GetProperty("messages").EnumerateArray().Select(ChatMessage.FromJson)],
        json.GetProperty("lastSeq").GetInt64(),
        json.GetProperty("hasMore").GetBoolean());
}
