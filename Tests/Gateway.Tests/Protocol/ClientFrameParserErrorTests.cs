using System.Text;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Tests.Protocol;

public class ClientFrameParserErrorTests
{
    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"type\":\"ping\"")]
    [InlineData("{\"type\":\"ping\"} {}")]
    [InlineData("{\"type\":\"ping\",}")]
    [InlineData("{'type':'ping'}")]
    public void Not_json_is_bad_frame(string json) => Assert.Null(Frames.Invalid(json).Id);

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"type\":\"ping\"}]")]
    [InlineData("42")]
    [InlineData("\"ping\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void Not_an_object_is_bad_frame(string json) => Frames.Invalid(json);

    [Fact]
    public void Invalid_utf8_is_bad_frame()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"type":"ping","id":"__"}""");
        bytes[20] = 0xFF;
        var result = ClientFrameParser.Parse(bytes, ProtocolLimits.Default);
        Assert.Equal(ErrorCodes.BadFrame, result.Error?.Code);
    }

    [Fact]
    public void Missing_type_is_bad_frame_with_id()
    {
        var error = Frames.Invalid("""{"id":"5"}""");
        Assert.Equal("5", error.Id);
        Assert.Contains("type", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id":"5","type":1}""")]
    [InlineData("""{"id":"5","type":null}""")]
    [InlineData("""{"id":"5","type":["ping"]}""")]
    public void Type_not_a_string_is_bad_frame(string json)
    {
        var error = Frames.Invalid(json);
        Assert.Equal("5", error.Id);
        Assert.Contains("type", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pong")]
    [InlineData("PING")]
    [InlineData("group")]
    [InlineData("")]
    public void Unknown_type_is_bad_frame(string type) =>
        Assert.Equal("5", Frames.Invalid($$"""{"id":"5","type":"{{type}}"}""").Id);

    [Fact]
    public void Id_too_long_is_bad_frame_without_echo()
    {
        var error = Frames.Invalid($$"""{"type":"ping","id":"{{new string('i', 65)}}"}""");
        Assert.Null(error.Id);
        Assert.Contains("id", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("null")]
    [InlineData("{}")]
    public void Id_not_a_string_is_bad_frame(string id) =>
        Assert.Null(Frames.Invalid($$"""{"type":"ping","id":{{id}}}""").Id);

    [Theory]
    // Missing fields.
    [InlineData("""{"type":"send","id":"7","clientMsgId":"c","body":{}}""", "to")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","body":{}}""", "clientMsgId")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":"c"}""", "body")]
    [InlineData("""{"type":"sync","id":"7","afterSeq":0}""", "timeline")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a"}""", "afterSeq")]
    [InlineData("""{"type":"read","id":"7","seq":1}""", "timeline")]
    [InlineData("""{"type":"read","id":"7","timeline":"user:a"}""", "seq")]
    [InlineData("""{"type":"group.create","id":"7","members":[]}""", "group")]
    [InlineData("""{"type":"group.create","id":"7","group":"g"}""", "members")]
    [InlineData("""{"type":"group.join","id":"7"}""", "group")]
    [InlineData("""{"type":"group.leave","id":"7"}""", "group")]
    [InlineData("""{"type":"group.members","id":"7"}""", "group")]
    // Ill-typed fields.
    [InlineData("""{"type":"send","id":"7","to":1,"clientMsgId":"c","body":{}}""", "to")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":5,"body":{}}""", "clientMsgId")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":"","body":{}}""", "clientMsgId")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":"c","body":"{}"}""", "body")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":"c","body":[1]}""", "body")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":"c","body":null}""", "body")]
    [InlineData("""{"type":"sync","id":"7","timeline":["user:a"],"afterSeq":0}""", "timeline")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":"0"}""", "afterSeq")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":-1}""", "afterSeq")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0.5}""", "afterSeq")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":1e2}""", "afterSeq")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":99999999999999999999}""", "afterSeq")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0,"limit":0}""", "limit")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0,"limit":501}""", "limit")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0,"limit":1.5}""", "limit")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0,"limit":-5}""", "limit")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0,"limit":"10"}""", "limit")]
    [InlineData("""{"type":"sync","id":"7","timeline":"user:a","afterSeq":0,"limit":null}""", "limit")]
    [InlineData("""{"type":"read","id":"7","timeline":"user:a","seq":-1}""", "seq")]
    [InlineData("""{"type":"read","id":"7","timeline":"user:a","seq":2.25}""", "seq")]
    [InlineData("""{"type":"read","id":"7","timeline":"user:a","seq":true}""", "seq")]
    [InlineData("""{"type":"group.create","id":"7","group":"bad id","members":[]}""", "group")]
    [InlineData("""{"type":"group.create","id":"7","group":"g","members":"bob"}""", "members")]
    [InlineData("""{"type":"group.create","id":"7","group":"g","members":["bob",1]}""", "members")]
    [InlineData("""{"type":"group.create","id":"7","group":"g","members":["bob","no/slash"]}""", "members")]
    [InlineData("""{"type":"group.create","id":"7","group":"g","members":[""]}""", "members")]
    [InlineData("""{"type":"group.join","id":"7","group":7}""", "group")]
    [InlineData("""{"type":"group.leave","id":"7","group":""}""", "group")]
    [InlineData("""{"type":"group.members","id":"7","group":"group:g"}""", "group")]
    public void Missing_or_ill_typed_field_is_bad_frame_naming_the_field(string json, string field)
    {
        var error = Frames.Invalid(json);
        Assert.Equal("7", error.Id);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob")]
    [InlineData("user:")]
    [InlineData("user:bad id")]
    [InlineData("users:bob")]
    [InlineData("group:")]
    [InlineData(":bob")]
    [InlineData("user:bob:x")]
    public void Bad_timeline_is_bad_frame(string timeline)
    {
        Assert.Contains("'to'", Frames.Invalid("{\"type\":\"send\",\"to\":\"" + timeline + "\",\"clientMsgId\":\"c\",\"body\":{}}").Message, StringComparison.Ordinal);
        Assert.Contains("'timeline'", Frames.Invalid($$"""{"type":"sync","timeline":"{{timeline}}","afterSeq":0}""").Message, StringComparison.Ordinal);
        Assert.Contains("'timeline'", Frames.Invalid($$"""{"type":"read","timeline":"{{timeline}}","seq":0}""").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_msg_id_too_long_is_bad_frame() =>
        Assert.Contains("'clientMsgId'", Frames.Invalid("{\"type\":\"send\",\"to\":\"user:b\",\"clientMsgId\":\"" + new string('c', 65) + "\",\"body\":{}}").Message, StringComparison.Ordinal);

    [Fact]
    public void Body_too_large_is_too_large()
    {
        var text = new string('x', 16 * 1024);
        var error = Frames.Invalid("{\"type\":\"send\",\"id\":\"big\",\"to\":\"user:b\",\"clientMsgId\":\"c\",\"body\":{\"t\":\"" + text + "\"}}", ErrorCodes.TooLarge);
        Assert.Equal("big", error.Id);
        Assert.Contains("'body'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_one_byte_over_a_configured_limit_is_too_large() =>
        Frames.Invalid("""{"type":"send","to":"user:b","clientMsgId":"c","body":{"t":"0123456789abc"}}""", ErrorCodes.TooLarge, new ProtocolLimits { MaxBodyBytes = 20 });

    [Fact]
    public void Too_many_members_is_bad_frame()
    {
        var members = string.Join(",", Enumerable.Range(0, 10_001).Select(i => $"\"u{i}\""));
        Assert.Contains("'members'", Frames.Invalid("{\"type\":\"group.create\",\"group\":\"g\",\"members\":[" + members + "]}").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_thousand_members_are_accepted()
    {
        var members = string.Join(",", Enumerable.Range(0, 10_000).Select(i => $"\"u{i}\""));
        Assert.Equal(10_000, Frames.Valid<GroupCreateFrame>("{\"type\":\"group.create\",\"group\":\"g\",\"members\":[" + members + "]}").Members.Count);
    }

    [Theory]
    [InlineData("""{"type":"ping","type":"ping"}""")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","to":"user:c","clientMsgId":"c","body":{}}""")]
    [InlineData("""{"type":"send","id":"7","to":"user:b","clientMsgId":"c","body":{"a":1,"a":2}}""")]
    public void Duplicate_keys_are_rejected(string json) => Frames.Invalid(json);

    [Fact]
    public void First_wrong_field_is_reported() =>
        Assert.Contains("'to'", Frames.Invalid("""{"type":"send","to":"nope","clientMsgId":1}""").Message, StringComparison.Ordinal);
}
