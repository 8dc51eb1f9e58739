using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>PROTOCOL.md end to end over real sockets: sends, pushes, groups, errors that keep the connection, and closes.</summary>
public sealed class ChatTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task A_direct_message_is_acked_and_pushed_to_the_recipient_and_the_senders_other_device()
    {
        await using var alice = await Host.ConnectAsync("dm-alice");
        await using var alicePhone = await Host.ConnectAsync("dm-alice");
        await using var bob = await Host.ConnectAsync("dm-bob");

        var ack = await alice.RequestAsync("""{"type":"send","id":"1","to":"user:dm-bob","clientMsgId":"a-1","body":{"text":"hi bob"}}""");

        Assert.Equal("ack", Type(ack));
        Assert.Equal("1", ack.GetProperty("id").GetString());
        Assert.Equal("user:dm-alice", ack.GetProperty("timeline").GetString());
        Assert.Equal(1, ack.GetProperty("seq").GetInt64());
        var msgId = ack.GetProperty("msgId").GetString();

        var atBob = await bob.ExpectAsync("msg");
        Assert.Equal("user:dm-bob", atBob.GetProperty("timeline").GetString());
        Assert.Equal(1, atBob.GetProperty("seq").GetInt64());
        Assert.Equal(msgId, atBob.GetProperty("msgId").GetString());
        Assert.Equal("dm-alice", atBob.GetProperty("from").GetString());
        Assert.Equal("user:dm-bob", atBob.GetProperty("to").GetString());
        Assert.Equal("a-1", atBob.GetProperty("clientMsgId").GetString());
        Assert.Equal("user", atBob.GetProperty("kind").GetString());
        Assert.Equal("hi bob", atBob.GetProperty("body").GetProperty("text").GetString());

        var atPhone = await alicePhone.ExpectAsync("msg");
        Assert.Equal("user:dm-alice", atPhone.GetProperty("timeline").GetString());
        Assert.Equal(msgId, atPhone.GetProperty("msgId").GetString());

        // The push already reached the other devices, so a msg for the sending connection would be queued before this pong.
        await alice.SendAsync("""{"type":"ping","id":"p"}""");
        Assert.Equal("p", (await alice.ExpectAsync("pong")).GetProperty("id").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_sender_with_one_device_gets_the_ack_and_no_msg_of_its_own_send()
    {
        await using var alice = await Host.ConnectAsync("solo-alice");
        await using var bob = await Host.ConnectAsync("solo-bob");

        await alice.SendAsync("""{"type":"send","id":"1","to":"user:solo-bob","clientMsgId":"s-1","body":{"n":1}}""");
        Assert.Equal(1, (await alice.ExpectAsync("ack")).GetProperty("seq").GetInt64());
        await bob.ExpectAsync("msg");
        Assert.Equal("ack", Type(await bob.RequestAsync("""{"type":"send","id":"2","to":"user:solo-alice","clientMsgId":"s-2","body":{"n":2}}""")));

        // Bob's reply follows alice's own send in user:solo-alice, and a timeline's pushes keep their order on a
        // connection: a push of alice's send to the connection it came from would arrive first.
        var pushed = await alice.ExpectAsync("msg");
        Assert.Equal(2, pushed.GetProperty("seq").GetInt64());
        Assert.Equal("solo-bob", pushed.GetProperty("from").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task The_senders_other_device_gets_its_sends_to_many_users_each_once_and_in_seq_order()
    {
        // Each copy sits in its recipient's log partition, so the copies reach the gateway from every partition.
        const int Sends = 60; // within the default burst
        await using var laptop = await Host.ConnectAsync("fan-alice");
        await using var phone = await Host.ConnectAsync("fan-alice");
        for (var i = 0; i < Sends; i++)
        {
            await laptop.SendAsync($$$"""{"type":"send","id":"{{{i}}}","to":"user:fan-friend{{{i % 20}}}","clientMsgId":"f{{{i}}}","body":{"n":{{{i}}}}}""");
        }

        var seqs = new List<long>();
        while (seqs.Count < Sends)
        {
            var pushed = await phone.ExpectAsync("msg");
            Assert.Equal("user:fan-alice", pushed.GetProperty("timeline").GetString());
            seqs.Add(pushed.GetProperty("seq").GetInt64());
        }

        Assert.Equal(Enumerable.Range(1, Sends).Select(n => (long)n), seqs);
    }

    [Fact(Timeout = 60_000)]
    public async Task Pipelined_frames_are_each_answered_once_and_sends_keep_their_order()
    {
        const int Sends = 40; // 80 sends: within the default burst of 100
        await using var alice = await Host.ConnectAsync("pipe-alice");
        await using var group = await Host.ConnectAsync("pipe-owner");
        Assert.Equal("ok", Type(await group.RequestAsync("""{"type":"group.create","id":"c","group":"pipe-g","members":["pipe-alice"]}""")));

        // Everything sent before any reply is read: more frames than MaxFramesInFlight, to two grains, with pings between.
        for (var i = 0; i < Sends; i++)
        {
            await alice.SendAsync($$$"""{"type":"send","id":"d{{{i}}}","to":"user:pipe-bob","clientMsgId":"d{{{i}}}","body":{"n":{{{i}}}}}""");
            await alice.SendAsync($$$"""{"type":"send","id":"g{{{i}}}","to":"group:pipe-g","clientMsgId":"g{{{i}}}","body":{"n":{{{i}}}}}""");
            await alice.SendAsync($$"""{"type":"ping","id":"p{{i}}"}""");
        }

        var replies = new Dictionary<string, JsonElement>();
        while (replies.Count < Sends * 3)
        {
            var frame = await alice.NextAsync() ?? throw new InvalidOperationException("closed");
            if (Type(frame) != "msg")
            {
                Assert.True(replies.TryAdd(frame.GetProperty("id").GetString()!, frame), $"two replies with one id: {frame}");
            }
        }

        Assert.All(replies.Where(reply => reply.Key.StartsWith('p')), reply => Assert.Equal("pong", Type(reply.Value)));
        foreach (var prefix in new[] { "d", "g" })
        {
            var seqs = Enumerable.Range(0, Sends).Select(i => replies[prefix + i]).Select(ack => ack.GetProperty("seq").GetInt64()).ToList();
            Assert.True(seqs.Zip(seqs.Skip(1)).All(pair => pair.First < pair.Second), $"'{prefix}' sends out of order: {string.Join(",", seqs)}");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_from_field_is_ignored_the_sender_is_the_token_subject()
    {
        await using var alice = await Host.ConnectAsync("from-alice");
        await using var bob = await Host.ConnectAsync("from-bob");

        var ack = await alice.RequestAsync("""{"type":"send","id":"1","to":"user:from-bob","from":"from-mallory","clientMsgId":"f-1","body":{}}""");
        Assert.Equal("ack", Type(ack));

        var msg = await bob.ExpectAsync("msg");
        Assert.Equal("from-alice", msg.GetProperty("from").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_group_is_created_sent_to_listed_and_synced()
    {
        await using var alice = await Host.ConnectAsync("grp-alice");
        await using var bob = await Host.ConnectAsync("grp-bob");

        var created = await alice.RequestAsync("""{"type":"group.create","id":"c","group":"grp-g1","members":["grp-bob"]}""");
        Assert.Equal("ok", Type(created));
        Assert.Equal("c", created.GetProperty("id").GetString());

        var ack = await alice.RequestAsync("""{"type":"send","id":"s","to":"group:grp-g1","clientMsgId":"g-1","body":{"text":"hi all"}}""");
        Assert.Equal("ack", Type(ack));
        Assert.Equal("group:grp-g1", ack.GetProperty("timeline").GetString());
        var seq = ack.GetProperty("seq").GetInt64();

        var atBob = await NextUserMessageAsync(bob);
        Assert.Equal("group:grp-g1", atBob.GetProperty("timeline").GetString());
        Assert.Equal(seq, atBob.GetProperty("seq").GetInt64());
        Assert.Equal("grp-alice", atBob.GetProperty("from").GetString());

        var members = await bob.RequestAsync("""{"type":"group.members","id":"m","group":"grp-g1"}""");
        Assert.Equal("members", Type(members));
        Assert.Equal("grp-alice", members.GetProperty("owner").GetString());
        Assert.Equal(["grp-alice", "grp-bob"], members.GetProperty("members").EnumerateArray().Select(m => m.GetString()!).Order(StringComparer.Ordinal));

        var sync = await bob.RequestAsync("""{"type":"sync","id":"y","timeline":"group:grp-g1","afterSeq":0}""");
        Assert.Equal("messages", Type(sync));
        Assert.Equal(seq, sync.GetProperty("lastSeq").GetInt64());
        Assert.False(sync.GetProperty("hasMore").GetBoolean());
        var last = sync.GetProperty("messages").EnumerateArray().Last();
        Assert.Equal("g-1", last.GetProperty("clientMsgId").GetString());
        Assert.False(last.TryGetProperty("type", out _));

        var timelines = await bob.RequestAsync("""{"type":"timelines","id":"t"}""");
        Assert.Contains(timelines.GetProperty("items").EnumerateArray(), item => item.GetProperty("timeline").GetString() == "group:grp-g1");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_non_member_cannot_send_to_a_group_and_nothing_is_stored()
    {
        await using var alice = await Host.ConnectAsync("nm-alice");
        await using var carol = await Host.ConnectAsync("nm-carol");
        Assert.Equal("ok", Type(await alice.RequestAsync("""{"type":"group.create","id":"c","group":"nm-g1","members":[]}""")));
        var lastSeq = await LastSeqAsync(alice, "group:nm-g1");

        var refused = await carol.RequestAsync("""{"type":"send","id":"s","to":"group:nm-g1","clientMsgId":"x-1","body":{"text":"let me in"}}""");

        Assert.Equal("error", Type(refused));
        Assert.Equal("forbidden", refused.GetProperty("code").GetString());
        Assert.Equal("s", refused.GetProperty("id").GetString());
        Assert.Equal(lastSeq, await LastSeqAsync(alice, "group:nm-g1"));
        Assert.Equal("forbidden", (await carol.RequestAsync("""{"type":"sync","id":"y","timeline":"group:nm-g1","afterSeq":0}""")).GetProperty("code").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Only_the_user_may_sync_their_user_timeline()
    {
        await using var carol = await Host.ConnectAsync("sy-carol");
        var refused = await carol.RequestAsync("""{"type":"sync","id":"y","timeline":"user:sy-alice","afterSeq":0}""");
        Assert.Equal("forbidden", refused.GetProperty("code").GetString());
    }

    [Theory(Timeout = 60_000)]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"type":"send","id":"1","to":"user:bf-bob","clientMsgId":"b-1"}""")]
    [InlineData("""{"type":"send","id":"1","to":"bf-bob","clientMsgId":"b-1","body":{}}""")]
    [InlineData("""{"type":"nope","id":"1"}""")]
    public async Task A_bad_frame_is_an_error_the_connection_stays_open_and_nothing_is_stored(string frame)
    {
        await using var alice = await Host.ConnectAsync("bf-alice");

        var error = await alice.RequestAsync(frame);

        Assert.Equal("error", Type(error));
        Assert.Equal("bad_frame", error.GetProperty("code").GetString());
        Assert.Equal("pong", Type(await alice.RequestAsync("""{"type":"ping","id":"p"}""")));
        Assert.Equal(0, await LastSeqAsync(alice, "user:bf-alice"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_binary_message_is_bad_frame()
    {
        await using var alice = await Host.ConnectAsync("bin-alice");
        await alice.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping","id":"p"}"""), WebSocketMessageType.Binary);

        var error = await alice.ExpectAsync("error");
        Assert.Equal("bad_frame", error.GetProperty("code").GetString());
        Assert.Equal("pong", Type(await alice.RequestAsync("""{"type":"ping"}""")));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_body_over_the_limit_is_too_large_and_nothing_is_stored()
    {
        await using var alice = await Host.ConnectAsync("tl-alice");
        var text = new string('x', 17 * 1024);

        var error = await alice.RequestAsync($$$"""{"type":"send","id":"1","to":"user:tl-bob","clientMsgId":"t-1","body":{"text":"{{{text}}}"}}""");

        Assert.Equal("too_large", error.GetProperty("code").GetString());
        Assert.Equal(0, await LastSeqAsync(alice, "user:tl-alice"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_frame_over_MaxFrameBytes_closes_the_connection_with_1009_and_nothing_is_stored()
    {
        await using (var alice = await Host.ConnectAsync("big-alice"))
        {
            var text = new string('x', 70 * 1024);
            await alice.SendAsync($$$"""{"type":"send","id":"1","to":"user:big-bob","clientMsgId":"b-1","body":{"text":"{{{text}}}"}}""");

            Assert.Null(await alice.NextAsync());
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, alice.CloseStatus);
        }

        await using var again = await Host.ConnectAsync("big-alice");
        Assert.Equal(0, await LastSeqAsync(again, "user:big-alice"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_frame_of_exactly_MaxFrameBytes_is_read_and_one_byte_more_closes_with_1009()
    {
        const int MaxFrameBytes = 64 * 1024; // the default
        await using var alice = await Host.ConnectAsync("edge-alice");

        // Padded with spaces inside the object: valid JSON of exactly the limit, read through several buffer sizes.
        Assert.Equal("pong", Type(await alice.RequestAsync(PaddedPing("exact", MaxFrameBytes))));
        Assert.Equal("pong", Type(await alice.RequestAsync(PaddedPing("small", 40))));

        await alice.SendAsync(PaddedPing("over", MaxFrameBytes + 1));
        Assert.Null(await alice.NextAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, alice.CloseStatus);
    }

    private static string PaddedPing(string id, int bytes)
    {
        var head = $$"""{"type":"ping","id":"{{id}}" """;
        return head + new string(' ', bytes - head.Length - 1) + "}";
    }

    [Fact(Timeout = 60_000)]
    public async Task Read_moves_the_cursor_reported_by_timelines()
    {
        await using var alice = await Host.ConnectAsync("rd-alice");
        Assert.Equal("ack", Type(await alice.RequestAsync("""{"type":"send","id":"1","to":"user:rd-bob","clientMsgId":"r-1","body":{}}""")));

        Assert.Equal("ok", Type(await alice.RequestAsync("""{"type":"read","id":"r","timeline":"user:rd-alice","seq":1}""")));

        var timelines = await alice.RequestAsync("""{"type":"timelines","id":"t"}""");
        var own = timelines.GetProperty("items").EnumerateArray().Single(item => item.GetProperty("timeline").GetString() == "user:rd-alice");
        Assert.Equal(1, own.GetProperty("lastSeq").GetInt64());
        Assert.Equal(1, own.GetProperty("readSeq").GetInt64());
    }

    private static string? Type(JsonElement frame) => frame.GetProperty("type").GetString();

    private static async Task<long> LastSeqAsync(WsClient client, string timeline)
    {
        var sync = await client.RequestAsync($$"""{"type":"sync","id":"last","timeline":"{{timeline}}","afterSeq":0}""");
        Assert.True(Type(sync) == "messages", $"expected messages, got {sync}");
        return sync.GetProperty("lastSeq").GetInt64();
    }

    private static async Task<JsonElement> NextUserMessageAsync(WsClient client)
    {
        while (true)
        {
            var msg = await client.NextOfTypeAsync("msg");
            if (msg.GetProperty("kind").GetString() == "user")
            {
                return msg;
            }
        }
    }
}
