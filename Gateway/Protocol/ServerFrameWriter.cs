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
    private const int MaxKeptBufferBytes = 64 * 1024;

    // Per thread, so that a frame costs only its byte array: the writer and scratch buffer are reused.
    [ThreadStatic]
    private static Utf8JsonWriter? threadWriter;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? threadBuffer;

    public static void WriteAck(IBufferWriter<byte> output, string? id, SendAck ack)
    {
        ArgumentNullException.ThrowIfNull(ack);
        var json = Start(output, "ack", id);
        json.WriteString("timeline", ack.Timeline);
        json.WriteNumber("seq", ack.Seq);
        json.WriteString("msgId", ack.MsgId);
        json.WriteNumber("ts", ack.Ts);
        End(json);
    }

    public static byte[] Ack(string? id, SendAck ack) => ToBytes((id, ack), static (output, s) => WriteAck(output, s.id, s.ack));

    /// <summary>A pushed message: <c>msg</c> with the message's fields; the body is copied as raw JSON.</summary>
    public static void WriteMsg(IBufferWriter<byte> output, ChatMessage message)
    {
        var json = Start(output, "msg", id: null);
        WriteMessageFields(json, message);
        End(json);
    }

    public static byte[] Msg(ChatMessage message) => ToBytes(message, static (output, m) => WriteMsg(output, m));

    /// <summary>A <c>sync</c> reply; each message is a <c>msg</c> object without <c>type</c>.</summary>
    public static void WriteMessages(
        IBufferWriter<byte> output, string? id, string timeline, IReadOnlyList<ChatMessage> messages, long lastSeq, bool hasMore)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var json = Start(output, "messages", id);
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
        End(json);
    }

    public static byte[] Messages(string? id, string timeline, IReadOnlyList<ChatMessage> messages, long lastSeq, bool hasMore) =>
        ToBytes((id, timeline, messages, lastSeq, hasMore), static (output, s) => WriteMessages(output, s.id, s.timeline, s.messages, s.lastSeq, s.hasMore));

    public static void WriteTimelines(IBufferWriter<byte> output, string? id, IReadOnlyList<TimelineInfo> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var json = Start(output, "timelines", id);
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
        End(json);
    }

    public static byte[] Timelines(string? id, IReadOnlyList<TimelineInfo> items) => ToBytes((id, items), static (output, s) => WriteTimelines(output, s.id, s.items));

    public static void WriteMembers(IBufferWriter<byte> output, string? id, string group, IReadOnlyList<string> members, string owner)
    {
        ArgumentNullException.ThrowIfNull(members);
        var json = Start(output, "members", id);
        json.WriteString("group", group);
        json.WriteStartArray("members");
        foreach (var member in members)
        {
            json.WriteStringValue(member);
        }

        json.WriteEndArray();
        json.WriteString("owner", owner);
        End(json);
    }

    public static byte[] Members(string? id, string group, IReadOnlyList<string> members, string owner) =>
        ToBytes((id, group, members, owner), static (output, s) => WriteMembers(output, s.id, s.group, s.members, s.owner));

    public static void WriteOk(IBufferWriter<byte> output, string? id) => WriteEmpty(output, "ok", id);

    public static byte[] Ok(string? id) => ToBytes(id, static (output, i) => WriteOk(output, i));

    public static void WritePong(IBufferWriter<byte> output, string? id) => WriteEmpty(output, "pong", id);

    public static byte[] Pong(string? id) => ToBytes(id, static (output, i) => WritePong(output, i));

    /// <summary>An <c>error</c>; <paramref name="code"/> is one of <see cref="ErrorCodes"/>.</summary>
    public static void WriteError(IBufferWriter<byte> output, string? id, string code, string message)
    {
        var json = Start(output, "error", id);
        json.WriteString("code", code);
        json.WriteString("message", message);
        End(json);
    }

    public static byte[] Error(string? id, string code, string message) => ToBytes((id, code, message), static (output, s) => WriteError(output, s.id, s.code, s.message));

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
        var json = Start(output, type, id);
        End(json);
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

    /// <summary>Opens the frame object with <c>type</c> and, when there is one, <c>id</c>; close it with <see cref="End"/>.</summary>
    private static Utf8JsonWriter Start(IBufferWriter<byte> output, string type, string? id)
    {
        ArgumentNullException.ThrowIfNull(output);
        // One writer per thread, reset for each frame: a frame is written in one go, without awaiting.
        var json = threadWriter ??= new Utf8JsonWriter(output);
        json.Reset(output);
        json.WriteStartObject();
        json.WriteString("type", type);
        if (id is not null)
        {
            json.WriteString("id", id);
        }

        return json;
    }

    /// <summary>Closes the frame object and flushes it to the output; the writer stays usable for the next frame.</summary>
    private static void End(Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.Flush();
    }

    private static byte[] ToBytes<TState>(TState state, Action<IBufferWriter<byte>, TState> write)
    {
        var buffer = threadBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        write(buffer, state);
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBufferBytes)
        {
            threadBuffer = null; // a rare large frame (a sync page) does not stay with the thread
        }

        return bytes;
    }
}
