using System.Buffers;
using System.Text.Json;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Protocol;

/// <summary>
/// Writes the server frames of PROTOCOL.md as UTF-8 JSON, one object per frame, with exactly the
/// documented field names. Each frame has a <c>Write…</c> method for a pooled buffer and a
/// byte-array convenience. A reply's <c>id</c> is written only when the request had one.
/// </summary>
public static class ServerFrameWriter
{
    public static void WriteAck(IBufferWriter<byte> output, string? id, SendAck ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        using var json = Start(output, "ack", id);
        json.WriteString("timeline", ack.Timeline);
        json.WriteNumber("seq", ack.Seq);
        json.WriteString("msgId", ack.MsgId);
        json.WriteNumber("ts", ack.Ts);
        json.WriteEndObject();
    }

    public static byte[] Ack(string? id, SendAck ack) => ToBytes(output => WriteAck(output, id, ack));

    /// <summary>A pushed message: <c>msg</c> with the message's fields; the body is copied as raw JSON.</summary>
    public static void WriteMsg(IBufferWriter<byte> output, ChatMessage message)
    {
        using var json = Start(output, "msg", id: null);
        WriteMessageFields(json, message);
        json.WriteEndObject();
    }

    public static byte[] Msg(ChatMessage message) => ToBytes(output => WriteMsg(output, message));

    /// <summary>A <c>sync</c> reply; each message is a <c>msg</c> object without <c>type</c>.</summary>
    public static void WriteMessages(
        IBufferWriter<byte> output, string? id, string timeline, IReadOnlyList<ChatMessage> messages, long lastSeq, bool hasMore)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var json = Start(output, "messages", id);
        json.WriteString("timeline", timeline);
        json.WriteStartArray("messages");
        foreach (var message in messages)
        {
            json.WriteStartObject();
            WriteMessageFields(json, message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("lastSeq", lastSeq);
        json.WriteBoolean("hasMore", hasMore);
        json.WriteEndObject();
    }

    public static byte[] Messages(string? id, string timeline, IReadOnlyList<ChatMessage> messages, long lastSeq, bool hasMore) =>
        ToBytes(output => WriteMessages(output, id, timeline, messages, lastSeq, hasMore));

    public static void WriteTimelines(IBufferWriter<byte> output, string? id, IReadOnlyList<TimelineInfo> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var json = Start(output, "timelines", id);
        json.WriteStartArray("items");
        foreach (var item in items)
        {
            json.WriteStartObject();
            json.WriteString("timeline", item.Timeline);
            json.WriteNumber("lastSeq", item.LastSeq);
            json.WriteNumber("readSeq", item.ReadSeq);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static byte[] Timelines(string? id, IReadOnlyList<TimelineInfo> items) => ToBytes(output => WriteTimelines(output, id, items));

    public static void WriteMembers(IBufferWriter<byte> output, string? id, string group, IReadOnlyList<string> members, string owner)
    {
        ArgumentNullException.ThrowIfNull(members);
        using var json = Start(output, "members", id);
        json.WriteString("group", group);
        json.WriteStartArray("members");
        foreach (var member in members)
        {
            json.WriteStringValue(member);
        }

        json.WriteEndArray();
        json.WriteString("owner", owner);
        json.WriteEndObject();
    }

    public static byte[] Members(string? id, string group, IReadOnlyList<string> members, string owner) =>
        ToBytes(output => WriteMembers(output, id, group, members, owner));

    public static void WriteOk(IBufferWriter<byte> output, string? id) => WriteEmpty(output, "ok", id);

    public static byte[] Ok(string? id) => ToBytes(output => WriteOk(output, id));

    public static void WritePong(IBufferWriter<byte> output, string? id) => WriteEmpty(output, "pong", id);

    public static byte[] Pong(string? id) => ToBytes(output => WritePong(output, id));

    /// <summary>An <c>error</c>; <paramref name="code"/> is one of <see cref="ErrorCodes"/>.</summary>
    public static void WriteError(IBufferWriter<byte> output, string? id, string code, string message)
    {
        using var json = Start(output, "error", id);
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteEndObject();
    }

    public static byte[] Error(string? id, string code, string message) => ToBytes(output => WriteError(output, id, code, message));

    public static byte[] Error(FrameError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Error(error.Id, error.Code, error.Message);
    }

    public static byte[] Error(string? id, ChatError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Error(id, ErrorCodes.From(error.Code), error.Message);
    }

    private static void WriteEmpty(IBufferWriter<byte> output, string type, string? id)
    {
        using var json = Start(output, type, id);
        json.WriteEndObject();
    }

    private static void WriteMessageFields(Utf8JsonWriter json, ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        json.WriteString("timeline", message.Timeline);
        json.WriteNumber("seq", message.Seq);
        json.WriteString("msgId", message.MsgId);
        json.WriteString("from", message.From);
        json.WriteString("to", message.To);
        json.WriteString("clientMsgId", message.ClientMsgId);
        json.WriteString("kind", message.Kind == MessageKind.System ? "system" : "user");
        json.WritePropertyName("body");
        // Raw, so the body reaches clients byte for byte as its sender wrote it (key order, escapes, numbers).
        json.WriteRawValue(message.Body);
        json.WriteNumber("ts", message.Ts);
    }

    /// <summary>Opens the frame object with <c>type</c> and, when there is one, <c>id</c>.</summary>
    private static Utf8JsonWriter Start(IBufferWriter<byte> output, string type, string? id)
    {
        ArgumentNullException.ThrowIfNull(output);
        var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("type", type);
        if (id is not null)
        {
            json.WriteString("id", id);
        }

        return json;
    }

    private static byte[] ToBytes(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
