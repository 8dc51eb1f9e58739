using System.Buffers;
using System.Text;
using System.Text.Json;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Tests.Protocol;

public class ServerFrameWriterTests
{
    private const string Body = "{\"z\":1,\"a\":[1.50,{\"é\":\"日本語 \\u00e9 😀\"}],\"m\":null}";

    private static readonly ChatMessage Message = new("user:bob", 3, "01JMSG", "alice", "user:bob", "a-1", MessageKind.User, Body, 1732200000000);

    [Fact]
    public void Ack_has_the_protocol_fields()
    {
        var root = Read(ServerFrameWriter.Ack("1", new SendAck("user:alice", 1, "01J", 1732200000000)));
        AssertNames(root, "type", "id", "timeline", "seq", "msgId", "ts");
        Assert.Equal("ack", root.GetProperty("type").GetString());
        Assert.Equal("1", root.GetProperty("id").GetString());
        Assert.Equal("user:alice", root.GetProperty("timeline").GetString());
        Assert.Equal(1, root.GetProperty("seq").GetInt64());
        Assert.Equal("01J", root.GetProperty("msgId").GetString());
        Assert.Equal(1732200000000, root.GetProperty("ts").GetInt64());
    }

    [Fact]
    public void Msg_has_the_protocol_fields_and_the_exact_body()
    {
        var bytes = ServerFrameWriter.Msg(Message);
        var root = Read(bytes);
        AssertNames(root, "type", "timeline", "seq", "msgId", "from", "to", "clientMsgId", "kind", "body", "ts");
        Assert.Equal("msg", root.GetProperty("type").GetString());
        AssertMessage(Message, root);
        Assert.Contains("\"body\":" + Body + ",", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void System_message_kind_is_system()
    {
        var system = Message with { Kind = MessageKind.System, ClientMsgId = "", Body = """{"event":"joined","user":"bob"}""" };
        Assert.Equal("system", Read(ServerFrameWriter.Msg(system)).GetProperty("kind").GetString());
    }

    [Fact]
    public void Messages_holds_msg_objects_without_type()
    {
        var second = Message with { Seq = 4, MsgId = "01JMSG2", Body = "{}" };
        var root = Read(ServerFrameWriter.Messages("2", "user:bob", [Message, second], 4, true));
        AssertNames(root, "type", "id", "timeline", "messages", "lastSeq", "hasMore");
        Assert.Equal("messages", root.GetProperty("type").GetString());
        Assert.Equal("2", root.GetProperty("id").GetString());
        Assert.Equal("user:bob", root.GetProperty("timeline").GetString());
        Assert.Equal(4, root.GetProperty("lastSeq").GetInt64());
        Assert.True(root.GetProperty("hasMore").GetBoolean());
        var items = root.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        foreach (var item in items)
        {
            AssertNames(item, "timeline", "seq", "msgId", "from", "to", "clientMsgId", "kind", "body", "ts");
        }

        AssertMessage(Message, items[0]);
        AssertMessage(second, items[1]);
    }

    [Fact]
    public void Empty_messages_page()
    {
        var root = Read(ServerFrameWriter.Messages("2", "group:g", [], 0, false));
        Assert.Equal(0, root.GetProperty("messages").GetArrayLength());
        Assert.False(root.GetProperty("hasMore").GetBoolean());
    }

    [Fact]
    public void Timelines_has_items()
    {
        var root = Read(ServerFrameWriter.Timelines("3", [new TimelineInfo("user:alice", 5, 2), new TimelineInfo("group:g1", 9, 9)]));
        AssertNames(root, "type", "id", "items");
        Assert.Equal("timelines", root.GetProperty("type").GetString());
        var items = root.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        AssertNames(items[0], "timeline", "lastSeq", "readSeq");
        Assert.Equal("user:alice", items[0].GetProperty("timeline").GetString());
        Assert.Equal(5, items[0].GetProperty("lastSeq").GetInt64());
        Assert.Equal(2, items[0].GetProperty("readSeq").GetInt64());
        Assert.Equal("group:g1", items[1].GetProperty("timeline").GetString());
    }

    [Fact]
    public void Members_has_group_members_owner()
    {
        var root = Read(ServerFrameWriter.Members("4", "g1", ["alice", "bob"], "alice"));
        AssertNames(root, "type", "id", "group", "members", "owner");
        Assert.Equal("members", root.GetProperty("type").GetString());
        Assert.Equal("g1", root.GetProperty("group").GetString());
        Assert.Equal(["alice", "bob"], root.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("alice", root.GetProperty("owner").GetString());
    }

    [Fact]
    public void Ok_and_pong_echo_the_id()
    {
        var ok = Read(ServerFrameWriter.Ok("5"));
        AssertNames(ok, "type", "id");
        Assert.Equal("ok", ok.GetProperty("type").GetString());
        Assert.Equal("5", ok.GetProperty("id").GetString());
        var pong = Read(ServerFrameWriter.Pong("6"));
        AssertNames(pong, "type", "id");
        Assert.Equal("pong", pong.GetProperty("type").GetString());
    }

    [Fact]
    public void Replies_omit_id_when_the_request_had_none()
    {
        AssertNames(Read(ServerFrameWriter.Pong(null)), "type");
        AssertNames(Read(ServerFrameWriter.Error(null, ErrorCodes.BadFrame, "x")), "type", "code", "message");
    }

    [Fact]
    public void Error_has_code_and_message()
    {
        var root = Read(ServerFrameWriter.Error(new FrameError("9", ErrorCodes.TooLarge, "'body' is too big")));
        AssertNames(root, "type", "id", "code", "message");
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.Equal("9", root.GetProperty("id").GetString());
        Assert.Equal("too_large", root.GetProperty("code").GetString());
        Assert.Equal("'body' is too big", root.GetProperty("message").GetString());
    }

    [Fact]
    public void Chat_errors_map_to_protocol_codes()
    {
        Assert.Equal("forbidden", Read(ServerFrameWriter.Error("1", new ChatError(ChatErrorCode.Forbidden, "no"))).GetProperty("code").GetString());
        Assert.Equal("bad_frame", ErrorCodes.From(ChatErrorCode.BadRequest));
        Assert.Equal("forbidden", ErrorCodes.From(ChatErrorCode.Forbidden));
        Assert.Equal("not_found", ErrorCodes.From(ChatErrorCode.NotFound));
        Assert.Equal("conflict", ErrorCodes.From(ChatErrorCode.Conflict));
        Assert.Equal("unavailable", ErrorCodes.From(ChatErrorCode.Unavailable));
        Assert.Equal("internal", ErrorCodes.From((ChatErrorCode)99));
    }

    [Fact]
    public void Every_protocol_error_code_is_listed() =>
        Assert.Equal(
            ["bad_frame", "too_large", "unauthorized", "forbidden", "not_found", "conflict", "rate_limited", "unavailable", "internal"],
            ErrorCodes.All);

    [Fact]
    public void Writes_into_a_buffer_writer()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ServerFrameWriter.WritePong(buffer, "7");
        Assert.Equal("""{"type":"pong","id":"7"}""", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Frames_written_one_after_another_on_a_thread_are_whole_and_separate()
    {
        // The writer and its scratch buffer are reused per thread: a long frame must not leave bytes in a shorter one.
        var page = ServerFrameWriter.Messages("9", "user:bob", [.. Enumerable.Range(1, 50).Select(i => Message with { Seq = i })], 50, false);
        var pong = ServerFrameWriter.Pong("8");
        var ack = ServerFrameWriter.Ack(null, new SendAck("user:alice", 2, "01K", 5));
        Assert.Equal(50, Read(page).GetProperty("messages").GetArrayLength());
        Assert.Equal("""{"type":"pong","id":"8"}""", Encoding.UTF8.GetString(pong));
        Assert.Equal("""{"type":"ack","timeline":"user:alice","seq":2,"msgId":"01K","ts":5}""", Encoding.UTF8.GetString(ack));
    }

    [Fact]
    public void A_frame_that_fails_midway_does_not_spoil_the_next()
    {
        // A stored body that is not JSON: the frame is refused, and the thread's writer starts clean for the next one.
        Assert.ThrowsAny<Exception>(() => ServerFrameWriter.Msg(Message with { Body = "{\"broken\":" }));
        Assert.Equal("""{"type":"ok","id":"3"}""", Encoding.UTF8.GetString(ServerFrameWriter.Ok("3")));
        var buffer = new ArrayBufferWriter<byte>();
        Assert.ThrowsAny<Exception>(() => ServerFrameWriter.WriteMsg(buffer, Message with { Body = "[1," }));
        AssertMessage(Message, Read(ServerFrameWriter.Msg(Message)));
    }

    [Fact]
    public void A_parsed_body_is_written_back_byte_for_byte()
    {
        var frame = Frames.Valid<SendFrame>("{\"type\":\"send\",\"to\":\"user:bob\",\"clientMsgId\":\"c\",\"body\":" + Body + "}");
        var bytes = ServerFrameWriter.Msg(Message with { Body = frame.Body });
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\"body\":" + Body + ",\"ts\"", text, StringComparison.Ordinal);
    }

    private static void AssertMessage(ChatMessage expected, JsonElement actual)
    {
        Assert.Equal(expected.Timeline, actual.GetProperty("timeline").GetString());
        Assert.Equal(expected.Seq, actual.GetProperty("seq").GetInt64());
        Assert.Equal(expected.MsgId, actual.GetProperty("msgId").GetString());
        Assert.Equal(expected.From, actual.GetProperty("from").GetString());
        Assert.Equal(expected.To, actual.GetProperty("to").GetString());
        Assert.Equal(expected.ClientMsgId, actual.GetProperty("clientMsgId").GetString());
        Assert.Equal(expected.Kind == MessageKind.User ? "user" : "system", actual.GetProperty("kind").GetString());
        Assert.Equal(expected.Body, actual.GetProperty("body").GetRawText());
        Assert.Equal(expected.Ts, actual.GetProperty("ts").GetInt64());
    }

    private static void AssertNames(JsonElement element, params string[] names) =>
        Assert.Equal(names, element.EnumerateObject().Select(p => p.Name));

    private static JsonElement Read(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.Clone();
    }
}
