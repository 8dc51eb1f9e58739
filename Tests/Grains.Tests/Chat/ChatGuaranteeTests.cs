using System.Text.Json;
using ChatCluster.Grains.Persistence;
using ChatCluster.Streams;
using Orleans.Runtime;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>The guarantees of PROTOCOL.md ("Timelines and sequence numbers", "Delivery guarantees") at the grain level, embedded and with PostgreSQL.</summary>
public sealed class ChatGuaranteeTests
{
    public static TheoryData<string> Stores => ["sqlite", "postgres"];

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Hundred_concurrent_senders_into_one_group_get_seq_1_to_N_without_gap_or_duplicate(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store);
        var senders = Enumerable.Range(0, 100).Select(i => $"u{i}").ToList();
        Assert.Null((await silo.Group("crowd").Create("u0", senders)).Error);

        var acks = await Task.WhenAll(senders.Select(s => silo.Group("crowd").Send(s, $"{s}-m1", """{"text":"hi"}""", null)));

        Assert.All(acks, a => Assert.Null(a.Error));
        var page = await silo.Group("crowd").Sync("u0", 0, 500);
        var seqs = page.Messages.Select(m => m.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), seqs); // created + 99 joined + 100 messages
        Assert.Equal(100, page.Messages.Count(m => m.Kind == MessageKind.User));
        Assert.Equal(acks.Select(a => a.Ack!.Seq).Order(), page.Messages.Where(m => m.Kind == MessageKind.User).Select(m => m.Seq));
        Assert.Equal(200, page.LastSeq);
        Assert.False(page.HasMore);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Resend_with_the_same_clientMsgId_returns_the_original_ack_and_stores_nothing_new(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store);
        await silo.Group("g").Create("alice", ["bob"]);

        var first = await silo.User("alice").SendDirect("bob", "c-1", """{"text":"once"}""", null);
        var again = await silo.User("alice").SendDirect("bob", "c-1", """{"text":"twice?"}""", null);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => silo.Group("g").Send("bob", "b-1", """{"n":1}""", null)));

        Assert.Equal(first.Ack, again.Ack);
        Assert.Single(concurrent.Select(c => c.Ack).Distinct());
        Assert.Single((await silo.User("alice").Sync(0, 100)).Messages);
        Assert.Single((await silo.User("bob").Sync(0, 100)).Messages);
        Assert.Single((await silo.Group("g").Sync("bob", 0, 100)).Messages, m => m.Kind == MessageKind.User);

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await silo.Service<PersistBarrier>().WaitAsync("user:bob", timeout.Token);
        }

        var stored = await silo.Service<IMessageStore>().ReadAsync("user:bob", 0, 100, CancellationToken.None);
        Assert.Single(stored);
        Assert.Equal("""{"text":"once"}""", stored[0].Body);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task A_resend_older_than_the_senders_window_gets_the_original_ack_from_the_store(string kind)
    {
        // Alice's grain remembers her last two messages, so her message to bob is forgotten three messages later; bob, who
        // got nothing since, still remembers it, so the resend reaches him and he finds it published already.
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store, new Dictionary<string, string?> { ["RecentMessages"] = "2", ["DedupeWindow"] = "2" });
        var first = (await silo.User("alice").SendDirect("bob", "x", """{"text":"once"}""", null)).Ack!;
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull((await silo.User("alice").SendDirect("carol", $"c{i}", "{}", null)).Ack);
        }

        var again = await silo.User("alice").SendDirect("bob", "x", """{"text":"twice?"}""", null);
        var thrice = await silo.User("alice").SendDirect("bob", "x", """{"text":"thrice?"}""", null);

        Assert.Null(again.Error);
        Assert.Equal(first, again.Ack);
        Assert.Equal(first, thrice.Ack);
        Assert.Single((await silo.User("bob").Sync(0, 10)).Messages);
        // The seq the resend took went back unused: alice's next message follows her fourth without a gap.
        var next = (await silo.User("alice").SendDirect("bob", "y", "{}", null)).Ack!;
        Assert.Equal(5, next.Seq);
        Assert.Equal([1L, 2, 3, 4, 5], (await silo.User("alice").Sync(0, 10)).Messages.Select(m => m.Seq));
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Direct_message_sits_in_both_user_timelines_with_one_msgId(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store);
        await silo.User("bob").SendDirect("carol", "warm-up", """{"text":"so bob's seq differs"}""", null);

        var result = await silo.User("alice").SendDirect("bob", "a-1", """{"text":"hi bob"}""", null);

        var ack = result.Ack!;
        Assert.Equal(("user:alice", 1L), (ack.Timeline, ack.Seq));
        var mine = Assert.Single((await silo.User("alice").Sync(0, 10)).Messages);
        var theirs = (await silo.User("bob").Sync(0, 10)).Messages[^1];
        Assert.Equal(ack.MsgId, mine.MsgId);
        Assert.Equal(ack.MsgId, theirs.MsgId);
        Assert.Equal((1L, 2L), (mine.Seq, theirs.Seq));
        Assert.All(new[] { mine, theirs }, m =>
        {
            Assert.Equal("alice", m.From);
            Assert.Equal("user:bob", m.To);
            Assert.Equal("a-1", m.ClientMsgId);
            Assert.Equal(ack.Ts, m.Ts);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task A_direct_message_is_one_log_record_and_after_a_restart_the_sender_finds_every_copy()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        var recipients = Enumerable.Range(0, 12).Select(i => $"friend{i}").ToArray();
        await using (var silo = await ChatSilo.StartAsync(store))
        {
            var log = silo.Service<IStreamLog>();
            for (var i = 0; i < recipients.Length; i++)
            {
                Assert.NotNull((await silo.User("alice").SendDirect(recipients[i], $"m{i}", "{}", null)).Ack);
            }

            // Twelve messages, twelve records: each carries both copies, in the recipient's partition.
            var records = 0L;
            for (var queue = 0; queue < log.Queues; queue++)
            {
                records += await log.GetEndAsync(queue, CancellationToken.None);
            }

            Assert.Equal(recipients.Length, records);
            Assert.True(recipients.Select(r => log.QueueOf(StreamId.Create(TimelineStreams.Namespace, $"user:{r}"))).Distinct().Count() > 1);
        }

        // A new activation of alice reads her copies back from every partition, and takes a resend as the first attempt.
        await using var again = await ChatSilo.StartAsync(store);
        var page = await again.User("alice").Sync(0, 100);
        Assert.Equal(recipients.Select((_, i) => $"m{i}"), page.Messages.Select(m => m.ClientMsgId));
        Assert.Equal(Enumerable.Range(1, recipients.Length).Select(n => (long)n), page.Messages.Select(m => m.Seq));
        var resent = await again.User("alice").SendDirect(recipients[3], "m3", "{}", null);
        Assert.Equal(4, resent.Ack!.Seq);
        Assert.Equal(page.Messages[3].MsgId, resent.Ack.MsgId);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Sync_serves_nothing_above_a_sent_copy_still_being_published(string kind)
    {
        // Bob's grain is slow to take alice's message (an incoming-call filter holds it), so alice's copy at seq 1 is
        // still being published when her next message, to carol, is acked at seq 2. A sync in between must not hand
        // her seq 2: her next sync would start after it and pass over seq 1 for ever.
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store, configure: s => s.AddIncomingGrainCallFilter(async call =>
        {
            if (call.InterfaceMethod?.Name == nameof(IUserGrain.AcceptDirect) && call.TargetId.Key.ToString() == "bob")
            {
                reached.TrySetResult();
                await release.Task;
            }

            await call.Invoke();
        }));

        var toBob = silo.User("alice").SendDirect("bob", "a-1", """{"text":"slow"}""", null);
        try
        {
            await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var toCarol = await silo.User("alice").SendDirect("carol", "a-2", """{"text":"fast"}""", null);
            Assert.Equal(2, toCarol.Ack!.Seq);

            var during = await silo.User("alice").Sync(0, 10);
            Assert.Empty(during.Messages);
            Assert.Equal(0, during.LastSeq);
            Assert.False(toBob.IsCompleted);
        }
        finally
        {
            release.TrySetResult(); // also when an assertion failed: the held call would keep the silo from stopping
        }

        Assert.Equal(1, (await toBob).Ack!.Seq);
        var after = await silo.User("alice").Sync(0, 10);
        Assert.Equal([("a-1", 1L), ("a-2", 2L)], after.Messages.Select(m => (m.ClientMsgId, m.Seq)));
        Assert.Equal(2, after.LastSeq);
        Assert.Equal([1L], (await silo.User("bob").Sync(0, 10)).Messages.Select(m => m.Seq));
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Non_member_cannot_send_to_sync_or_list_a_group(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store);
        await silo.Group("club").Create("alice", ["bob"]);

        Assert.Equal(ChatErrorCode.Forbidden, (await silo.Group("club").Send("mallory", "m-1", "{}", null)).Error?.Code);
        Assert.Equal(ChatErrorCode.Forbidden, (await silo.Group("club").Sync("mallory", 0, 10)).Error?.Code);
        Assert.Equal(ChatErrorCode.Forbidden, (await silo.Group("club").Members("mallory")).Error?.Code);
        Assert.Equal(ChatErrorCode.NotFound, (await silo.Group("nowhere").Send("alice", "m-1", "{}", null)).Error?.Code);
        Assert.Equal(ChatErrorCode.Conflict, (await silo.Group("club").Create("mallory", [])).Error?.Code);
        Assert.DoesNotContain((await silo.Group("club").Sync("alice", 0, 10)).Messages, m => m.From == "mallory");

        await silo.Group("club").Leave("bob");
        Assert.Equal(ChatErrorCode.Forbidden, (await silo.Group("club").Send("bob", "b-1", "{}", null)).Error?.Code);
        var members = await silo.Group("club").Members("alice");
        Assert.Equal(["alice"], members.Members);
        Assert.Equal("alice", members.Owner);
        var events = (await silo.Group("club").Sync("alice", 0, 10)).Messages
            .Select(m => JsonSerializer.Deserialize<JsonElement>(m.Body).GetProperty("event").GetString() + ":" + m.From);
        Assert.Equal(["created:alice", "joined:bob", "left:bob"], events);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Sync_right_after_an_ack_returns_the_message(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store, new Dictionary<string, string?> { ["RecentMessages"] = "5", ["DedupeWindow"] = "5" });
        await silo.Group("g").Create("alice", []);
        for (var i = 1; i <= 20; i++)
        {
            var ack = (await silo.Group("g").Send("alice", $"c{i}", $$"""{"i":{{i}}}""", null)).Ack!;
            var page = await silo.Group("g").Sync("alice", ack.Seq - 1, 10);
            Assert.Equal(ack.MsgId, Assert.Single(page.Messages).MsgId);
        }

        // Older than the grain's memory: served from the store, in order, paged.
        var first = await silo.Group("g").Sync("alice", 0, 15);
        Assert.Equal(Enumerable.Range(1, 15).Select(i => (long)i), first.Messages.Select(m => m.Seq));
        Assert.True(first.HasMore);
        var rest = await silo.Group("g").Sync("alice", 15, 15);
        Assert.Equal(Enumerable.Range(16, 6).Select(i => (long)i), rest.Messages.Select(m => m.Seq));
        Assert.False(rest.HasMore);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Read_cursor_never_moves_backwards(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using var silo = await ChatSilo.StartAsync(store);
        await silo.Group("g").Create("alice", []);
        await silo.Group("g").Send("alice", "c1", "{}", null);

        Assert.Null((await silo.User("alice").MarkRead("group:g", 2)).Error);
        Assert.Null((await silo.User("alice").MarkRead("group:g", 1)).Error);
        Assert.Equal(ChatErrorCode.Forbidden, (await silo.User("alice").MarkRead("group:other", 1)).Error?.Code);
        Assert.Equal(ChatErrorCode.Forbidden, (await silo.User("alice").MarkRead("user:bob", 1)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.User("alice").MarkRead("chan:x", 1)).Error?.Code);

        var timelines = await silo.User("alice").Timelines();
        Assert.Equal(
            [new TimelineInfo("user:alice", 0, 0), new TimelineInfo("group:g", 2, 2)],
            timelines);
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task Graceful_restart_keeps_every_message_and_skips_no_seq(string kind)
    {
        using var store = await ChatStore.CreateAsync(kind);
        await using (var first = await ChatSilo.StartAsync(store))
        {
            await first.Group("g").Create("alice", ["bob"]);
            for (var i = 0; i < 5; i++)
            {
                await first.User("alice").SendDirect("bob", $"d{i}", "{}", null);
                await first.Group("g").Send("bob", $"g{i}", "{}", null);
            }
        }

        await using var second = await ChatSilo.StartAsync(store);
        Assert.Equal(6, (await second.User("alice").SendDirect("bob", "d5", "{}", null)).Ack!.Seq);
        Assert.Equal(8, (await second.Group("g").Send("bob", "g5", "{}", null)).Ack!.Seq);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), (await second.Group("g").Sync("alice", 0, 100)).Messages.Select(m => m.Seq));
        var resent = await second.User("alice").SendDirect("bob", "d4", "{}", null);
        Assert.Equal(5, resent.Ack!.Seq); // de-duplicated across the restart
    }

    [Fact(Timeout = 120_000)]
    public async Task Sessions_and_group_presence_outlive_the_grains_so_pushes_still_arrive_after_they_reactivate()
    {
        // Grains move between silos and are collected when idle; the devices stay connected meanwhile.
        using var store = await ChatStore.CreateAsync("sqlite");
        await using var silo = await ChatSilo.StartAsync(store);
        var gw1 = silo.Gateway();
        var gw2 = silo.Gateway();
        Session alicePhone = gw1.Session("a-phone"), bobPhone = gw2.Session("b-phone");
        await silo.User("alice").Connect(alicePhone);
        await silo.User("bob").Connect(bobPhone);
        await silo.Group("g").Create("alice", ["bob"]);

        await silo.Cluster.DeactivateAsync(silo.User("alice"));
        await silo.Cluster.DeactivateAsync(silo.User("bob"));
        await silo.Cluster.DeactivateAsync(silo.Group("g"));

        Assert.Equal([alicePhone], await silo.User("alice").Sessions());
        Assert.Equal([alicePhone, bobPhone], (await silo.Group("g").OnlineSessions()).OrderBy(s => s.ConnectionId));
        var dm = (await silo.User("bob").SendDirect("alice", "dm-1", "{}", null)).Ack!;
        var group = (await silo.Group("g").Send("alice", "gm-1", "{}", null)).Ack!;
        await gw1.WaitForAsync(alicePhone, m => m.MsgId == dm.MsgId);
        await gw2.WaitForAsync(bobPhone, m => m.MsgId == group.MsgId);

        await silo.User("bob").Disconnect(bobPhone);
        Assert.Equal([alicePhone], await silo.Group("g").OnlineSessions());
    }

    [Fact(Timeout = 120_000)]
    public async Task Sessions_no_gateway_can_hold_are_forgotten_and_those_of_a_gateway_that_does_not_answer_are_kept()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        await using var silo = await ChatSilo.StartAsync(store);
        var live = silo.Gateway();
        var deleted = silo.Gateway();
        Session alicePhone = live.Session("a-phone"), aliceOld = deleted.Session("a-old"), stale = new("not-a-gateway", "x");
        await silo.User("alice").Connect(alicePhone);
        await silo.User("alice").Connect(aliceOld);
        await silo.User("alice").Connect(stale);
        // Its client is alive: calls to the deleted observer get no answer (time out), which is not proof that the gateway
        // is gone (a slow gateway looks the same), so its session stays. An id that is no gateway's is forgotten.
        deleted.Dispose();

        var dm = (await silo.User("bob").SendDirect("alice", "dm-1", "{}", null)).Ack!;

        await live.WaitForAsync(alicePhone, m => m.MsgId == dm.MsgId);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await silo.User("alice").Sessions()).Count > 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal([aliceOld, alicePhone], (await silo.User("alice").Sessions()).OrderBy(s => s.ConnectionId, StringComparer.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task Push_reaches_every_device_but_the_sending_one()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        await using var silo = await ChatSilo.StartAsync(store);
        var gw1 = silo.Gateway();
        var gw2 = silo.Gateway();
        Session alicePhone = gw1.Session("a-phone"), aliceLaptop = gw1.Session("a-laptop"), bobPhone = gw2.Session("b-phone");
        await silo.User("alice").Connect(alicePhone);
        await silo.User("alice").Connect(aliceLaptop);
        await silo.User("bob").Connect(bobPhone);
        await silo.Group("g").Create("alice", ["bob"]);

        var dm = (await silo.User("alice").SendDirect("bob", "dm-1", """{"t":1}""", alicePhone)).Ack!;
        var group = (await silo.Group("g").Send("bob", "gm-1", """{"t":2}""", bobPhone)).Ack!;

        var onLaptop = await gw1.WaitForAsync(aliceLaptop, m => m.MsgId == dm.MsgId);
        var onBob = await gw2.WaitForAsync(bobPhone, m => m.MsgId == dm.MsgId);
        Assert.Equal(("user:alice", "user:bob"), (onLaptop.Timeline, onBob.Timeline));
        await gw1.WaitForAsync(alicePhone, m => m.MsgId == group.MsgId);
        await gw1.WaitForAsync(aliceLaptop, m => m.MsgId == group.MsgId);
        await gw2.WaitForAsync(bobPhone, m => m.Kind == MessageKind.System);
        Assert.DoesNotContain(gw1.To(alicePhone), m => m.MsgId == dm.MsgId && m.Timeline == "user:alice");
        Assert.DoesNotContain(gw2.To(bobPhone), m => m.MsgId == group.MsgId);

        await silo.User("alice").Disconnect(aliceLaptop);
        var later = (await silo.Group("g").Send("bob", "gm-2", "{}", bobPhone)).Ack!;
        await gw1.WaitForAsync(alicePhone, m => m.MsgId == later.MsgId);
        Assert.DoesNotContain(gw1.To(aliceLaptop), m => m.MsgId == later.MsgId);
    }

    [Fact(Timeout = 120_000)]
    public async Task Bad_arguments_are_refused_and_change_nothing()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        await using var silo = await ChatSilo.StartAsync(store);
        await silo.Group("g").Create("alice", []);

        Assert.Equal(ChatErrorCode.BadRequest, (await silo.User("alice").SendDirect("bad id!", "c", "{}", null)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.User("alice").SendDirect("bob", "", "{}", null)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.User("alice").SendDirect("bob", new string('x', 65), "{}", null)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.Group("g").Send("alice", "c", "[1]", null)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.Group("g").Sync("alice", -1, 10)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.Group("g").Sync("alice", 0, 501)).Error?.Code);
        Assert.Equal(ChatErrorCode.BadRequest, (await silo.Group("h").Create("alice", ["ok", "not ok"])).Error?.Code);

        Assert.Empty((await silo.User("alice").Sync(0, 10)).Messages);
        Assert.Single((await silo.Group("g").Sync("alice", 0, 10)).Messages); // just "created"
        Assert.Equal(ChatErrorCode.NotFound, (await silo.Group("h").Members("alice")).Error?.Code);
    }
}
