using System.Buffers;
using System.Text.Json;

namespace ChatCluster.Client.Protocol;

/// <summary>Writes the client frames of PROTOCOL.md, each as one UTF-8 JSON object with its request <c>id</c>.</summary>
internal static class ClientFrames
{
    public static byte[] Send(string id, string to, string clientMsgId, JsonElement body) => Write("send", id, json =>
    {
        json.WriteString("to", to);
        json.WriteString("clientMsgId", clientMsgId);
        json.WritePropertyName("body");
        body.WriteTo(json);
    });

    public static byte[] Sync(string id, string timeline, long afterSeq, int limit) => Write("sync", id, json =>
    {
        json.WriteString("timeline", timeline);
        json.WriteNumber("afterSeq", afterSeq);
        json.WriteNumber("limit", limit);
    });

    public static byte[] Timelines(string id) => Write("timelines", id, static _ => { });

    public static byte[] Read(string id, string timeline, long seq) => Write("read", id, json =>
    {
        json.WriteString("timeline", timeline);
        json.WriteNumber("seq", seq);
    });

    public static byte[] CreateGroup(string id, string group, IEnumerable<string> members) => Write("group.create", id, json =>
    {
        json.WriteString("group", group);
        json.WriteStartArray("members");
        foreach (var member in members)
        {
            json.WriteStringValue(member);
        }

        json.WriteEndArray();
    });

    /// <summary><c>group.join</c>, <c>group.leave</c> or <c>group.members</c>: frames whose only field is the group.</summary>
    public static byte[] Group(string type, string id, string group) => Write(type, id, json => json.WriteString("group", group));

    public static byte[] Ping(string id) => Write("ping", id, static _ => { });

    private static byte[] Write(string type, string id, Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("id", id);
            fields(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
