using System.Text.Json;

namespace ChatCluster.Client.Messages;

/// <summary>The server's <c>ack</c>: the message is durable, at <paramref name="Seq"/> of the sender's view <paramref name="Timeline"/>.</summary>
public sealed record SendAck(string Timeline, long Seq, string MsgId, long Ts, string ClientMsgId)
{
    internal static SendAck FromJson(JsonElement json, string clientMsgId) => new(
        json.GetProperty("timeline").GetString()!,
        json.GetProperty("seq").GetInt64(),
        json.GetProperty("msgId").GetString()!,
        json.GetProperty("ts").GetInt64(),
        clientMsgId);
}
