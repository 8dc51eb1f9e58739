using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Tests.Protocol;

public class ClientFrameParserTests
{
    [Fact]
    public void Send_is_parsed()
    {
        var frame = Frames.Valid<SendFrame>("""{"type":"send","id":"1","to":"user:bob","clientMsgId":"a-1","body":{"text":"hi bob"}}""");
        Assert.Equal("1", frame.Id);
        Assert.Equal(Timeline.ForUser("bob"), frame.To);
        Assert.Equal("a-1", frame.ClientMsgId);
        Assert.Equal("""{"text":"hi bob"}""", frame.Body);
    }

    [Fact]
    public void Send_to_a_group_is_parsed()
    {
        var frame = Frames.Valid<SendFrame>("""{"type":"send","to":"group:g1","clientMsgId":"x","body":{}}""");
        Assert.Null(frame.Id);
        Assert.Equal(Timeline.ForGroup("g1"), frame.To);
        Assert.Equal("{}", frame.Body);
    }

    [Fact]
    public void Send_body_keeps_its_exact_text()
    {
        const string body = "{ \"z\" : 1, \"a\": [1.50, {\"deep\": {\"é\": \"日本語 \\u00e9 😀\"}}], \"m\":null , \"t\":true}";
        var frame = Frames.Valid<SendFrame>("{\"type\":\"send\",\"to\":\"user:bob\",\"clientMsgId\":\"c\",\"body\":" + body + "}");
        Assert.Equal(body, frame.Body);
    }

    [Fact]
    public void Sync_is_parsed_with_default_limit()
    {
        var frame = Frames.Valid<SyncFrame>("""{"type":"sync","id":"2","timeline":"user:alice","afterSeq":0}""");
        Assert.Equal("2", frame.Id);
        Assert.Equal(Timeline.ForUser("alice"), frame.Timeline);
        Assert.Equal(0, frame.AfterSeq);
        Assert.Equal(100, frame.Limit);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(500)]
    public void Sync_limit_bounds_are_accepted(int limit)
    {
        var frame = Frames.Valid<SyncFrame>($$"""{"type":"sync","timeline":"group:g","afterSeq":9007199254740993,"limit":{{limit}}}""");
        Assert.Equal(limit, frame.Limit);
        Assert.Equal(9007199254740993, frame.AfterSeq);
    }

    [Fact]
    public void Timelines_is_parsed() =>
        Assert.Equal("t", Frames.Valid<TimelinesFrame>("""{"type":"timelines","id":"t"}""").Id);

    [Fact]
    public void Read_is_parsed()
    {
        var frame = Frames.Valid<ReadFrame>("""{"type":"read","id":"r","timeline":"group:g1","seq":42}""");
        Assert.Equal(Timeline.ForGroup("g1"), frame.Timeline);
        Assert.Equal(42, frame.Seq);
    }

    [Fact]
    public void Group_create_is_parsed()
    {
        var frame = Frames.Valid<GroupCreateFrame>("""{"type":"group.create","id":"g","group":"team-1","members":["bob","carol.x"]}""");
        Assert.Equal("team-1", frame.Group);
        Assert.Equal(["bob", "carol.x"], frame.Members);
    }

    [Fact]
    public void Group_create_accepts_no_other_members() =>
        Assert.Empty(Frames.Valid<GroupCreateFrame>("""{"type":"group.create","group":"g","members":[]}""").Members);

    [Fact]
    public void Group_join_leave_members_are_parsed()
    {
        Assert.Equal("g1", Frames.Valid<GroupJoinFrame>("""{"type":"group.join","group":"g1"}""").Group);
        Assert.Equal("g2", Frames.Valid<GroupLeaveFrame>("""{"type":"group.leave","group":"g2"}""").Group);
        Assert.Equal("g3", Frames.Valid<GroupMembersFrame>("""{"type":"group.members","id":"m","group":"g3"}""").Group);
    }

    [Fact]
    public void Ping_is_parsed() => Assert.Equal("p", Frames.Valid<PingFrame>("""{"type":"ping","id":"p"}""").Id);

    [Fact]
    public void Unknown_fields_are_ignored() =>
        Frames.Valid<PingFrame>("""{"type":"ping","extra":{"a":[1,2]},"n":null}""");

    [Fact]
    public void Spoofed_from_is_ignored()
    {
        var frame = Frames.Valid<SendFrame>("""{"type":"send","from":"mallory","to":"user:bob","clientMsgId":"c","body":{"a":1}}""");
        Assert.Equal(new SendFrame(null, Timeline.ForUser("bob"), "c", """{"a":1}"""), frame);
    }

    [Fact]
    public void Id_of_64_characters_is_accepted()
    {
        var id = new string('i', 64);
        Assert.Equal(id, Frames.Valid<PingFrame>($$"""{"type":"ping","id":"{{id}}"}""").Id);
    }

    [Fact]
    public void Body_of_exactly_the_limit_is_accepted()
    {
        var limits = new ProtocolLimits { MaxBodyBytes = 20 };
        var result = Frames.Parse("""{"type":"send","to":"user:b","clientMsgId":"c","body":{"t":"0123456789ab"}}""", limits);
        Assert.True(result.IsFrame, result.Error?.Message);
    }
}
