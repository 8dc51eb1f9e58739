using System.Text.Json;

namespace ChatCluster.Client.Messages;

/// <summary>A message of a timeline, as pushed (<c>msg</c>) or synced (<c>messages</c>).</summary>
/// <param name="Timeline">The timeline it sits in, e.g. <c>user:bob</c> or <c>group:g1</c>.</param>
/// <param name="Seq">Its place in that timeline (1, 2, 3, …).</param>
/// <param name="MsgId">The server's id; the same in both timelines of a direct message.</param>
/// <param name="From">The sender's user id.</param>
/// <param name="To">Where it was sent: <c>user:ID</c> or <c>group:ID</c>.</param>
/// <param name="ClientMsgId">The sender's idempotency key.</param>
/// <param name="Kind"><c>user</c>, or <c>system</c> for membership changes.</param>
/// <param name="Body">The JSON object the sender sent.</param>
/// <param name="Ts">Server time, Unix milliseconds.</param>
public sealed record ChatMessage(
    string Timeline, long Seq, string MsgId, string From, string To, string ClientMsgId, string Kind, JsonElement Body, long Ts)
{
    /// <summary>The body's <c>text</c> field, if it has one (what <see cref="ChatClient.SendTextAsync"/> sends).</summary>
    public string? Text => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
        ? text.GetString()
        : null;

    internal static ChatMessage FromJson(JsonElement json) => new(
        json.GetProperty("timeline").GetString()!,
        json.GetProperty("seq").GetInt64(),
        json.GetProperty("msgId").GetString()!,
        json.GetProperty("from").GetString()!,
        json.GetProperty("to").GetString()!,
        json.GetProperty("clientMsgId").GetString()!,
        json.GetProperty("kind").GetString()!,
        json.GetProperty("body"),
        json.GetProperty("ts").GetInt64());
}
