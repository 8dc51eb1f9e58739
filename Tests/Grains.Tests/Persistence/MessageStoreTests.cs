namespace ChatCluster.Grains.Tests.Persistence;

/// <summary>The message store's contract (IMessageStore), on a real SQLite file and a real PostgreSQL.</summary>
public sealed class MessageStoreTests
{
    // Unicode in several planes, escapes, nesting, keys out of order and odd spacing: it must come back byte for byte.
    private const string RichBody = """{"text":"héllo wörld — 世界 🎉 \"quoted\"\n\u0000","meta": {"z":1,"a":[1,2.5,{"deep":{"x":null,"y":[true,false]}}]},"emoji":"👩‍👩‍👧"}""";

    private static readonly CancellationToken None = CancellationToken.None;

    public static TheoryData<string> Stores => [TestMessageStore.Sqlite, TestMessageStore.Postgres];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task Messages_come_back_in_seq_order_with_every_field_intact(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        var messages = new[]
        {
            Message("group:g1", 3, body: RichBody),
            Message("group:g1", 1, kind: MessageKind.System, clientMsgId: "", body: """{"event":"created","user":"alice"}"""),
            Message("user:bob", 1, from: "alice", to: "user:bob", clientMsgId: "a-1"),
            Message("group:g1", 2, from: "bob", clientMsgId: "b-1", ts: 1_732_200_000_123),
            Message("group:g1", 5_000_000_000, clientMsgId: "big"),
        };

        await test.Store.InsertAsync(messages, None);

        var read = await test.Store.ReadAsync("group:g1", 0, 100, None);
        Assert.Equal(messages.Where(m => m.Timeline == "group:g1").OrderBy(m => m.Seq), read);
        Assert.Equal(RichBody, read.Single(m => m.Seq == 3).Body);
        Assert.Equal(MessageKind.System, read[0].Kind);
        Assert.Equal([messages[2]], await test.Store.ReadAsync("user:bob", 0, 100, None));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task A_redelivered_or_overlapping_batch_stores_nothing_new_and_keeps_the_first_version(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        var first = Enumerable.Range(1, 5).Select(seq => Message("user:alice", seq, body: """{"v":1}""")).ToArray();
        await test.Store.InsertAsync(first, None);

        await test.Store.InsertAsync(first, None);
        Assert.Equal(first, await test.Store.ReadAsync("user:alice", 0, 100, None));

        // Seqs 3–5 again but different (as if re-sent by a confused writer), then 6–8 new; and a duplicate inside the batch.
        var overlapping = Enumerable.Range(3, 6).Select(seq => Message("user:alice", seq, msgId: $"other-{seq}", body: """{"v":2}"""))
            .Append(Message("user:alice", 8, msgId: "dup-8", body: """{"v":3}"""))
            .ToArray();
        await test.Store.InsertAsync(overlapping, None);

        var read = await test.Store.ReadAsync("user:alice", 0, 100, None);
        Assert.Equal(first.Concat(overlapping.Where(m => m.Seq > 5).Take(3)), read);
        Assert.Equal(8, await test.Store.GetLastSeqAsync("user:alice", None));
    }

    [Fact(Timeout = 60_000)]
    public async Task In_postgres_a_second_copy_of_a_clients_message_under_another_seq_is_skipped_and_the_rest_of_its_batch_stored()
    {
        // Two activations of one timeline (a silo declared dead that still ran) both published the client's message.
        await using var test = await TestMessageStore.CreateAsync(TestMessageStore.Postgres);
        await test.Store.InsertAsync([Message("user:bob", 1, from: "alice", clientMsgId: "c-1")], None);

        ChatMessage[] batch = [Message("user:bob", 2, from: "alice", clientMsgId: "c-1"), Message("user:bob", 3, from: "alice", clientMsgId: "c-2")];
        await test.Store.InsertAsync(batch, None);

        var read = await test.Store.ReadAsync("user:bob", 0, 100, None);
        Assert.Equal([1L, 3], read.Select(m => m.Seq));
        Assert.Equal(["c-1", "c-2"], read.Select(m => m.ClientMsgId));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task Reads_page_by_afterSeq_and_limit(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        await test.Store.InsertAsync(Enumerable.Range(1, 25).Select(seq => Message("group:paged", seq)).ToArray(), None);
        await test.Store.InsertAsync([Message("group:other", 1)], None);

        Assert.Equal(Seqs(1, 10), (await test.Store.ReadAsync("group:paged", 0, 10, None)).Select(m => m.Seq));
        Assert.Equal(Seqs(11, 20), (await test.Store.ReadAsync("group:paged", 10, 10, None)).Select(m => m.Seq));
        Assert.Equal(Seqs(21, 25), (await test.Store.ReadAsync("group:paged", 20, 10, None)).Select(m => m.Seq));
        Assert.Empty(await test.Store.ReadAsync("group:paged", 25, 10, None));
        Assert.Equal(Seqs(8, 8), (await test.Store.ReadAsync("group:paged", 7, 1, None)).Select(m => m.Seq));
        Assert.Empty(await test.Store.ReadAsync("group:nobody", 0, 10, None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => test.Store.ReadAsync("group:paged", 0, 0, None));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task FindSent_finds_a_senders_user_message_by_its_clientMsgId_in_one_timeline(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        var sent = Message("user:alice", 2, from: "alice", to: "user:bob", clientMsgId: "a-2", body: RichBody);
        await test.Store.InsertAsync(
        [
            Message("user:alice", 1, from: "alice", to: "user:bob", clientMsgId: "a-1"),
            sent,
            Message("user:alice", 3, from: "bob", to: "user:alice", clientMsgId: "a-2"),
            Message("user:bob", 7, from: "alice", to: "user:bob", clientMsgId: "a-2"),
            Message("group:g", 1, kind: MessageKind.System, from: "alice", clientMsgId: "sys"),
        ], None);

        Assert.Equal(sent, await test.Store.FindSentAsync("user:alice", "alice", "a-2", None));
        Assert.Equal(7, (await test.Store.FindSentAsync("user:bob", "alice", "a-2", None))!.Seq);
        Assert.Null(await test.Store.FindSentAsync("user:alice", "alice", "a-9", None));
        Assert.Null(await test.Store.FindSentAsync("user:carol", "alice", "a-2", None));
        Assert.Null(await test.Store.FindSentAsync("group:g", "alice", "sys", None)); // system messages are not a sender's
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task GetLastSeq_is_the_highest_stored_seq_or_zero(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        Assert.Equal(0, await test.Store.GetLastSeqAsync("group:g1", None));

        await test.Store.InsertAsync([Message("group:g1", 7), Message("group:g1", 2), Message("group:g2", 40)], None);
        Assert.Equal(7, await test.Store.GetLastSeqAsync("group:g1", None));
        Assert.Equal(40, await test.Store.GetLastSeqAsync("group:g2", None));
        Assert.Equal(0, await test.Store.GetLastSeqAsync("group:g", None));

        await test.Store.InsertAsync([Message("group:g1", 8)], None);
        Assert.Equal(8, await test.Store.GetLastSeqAsync("group:g1", None));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task Initializing_the_schema_again_or_from_several_stores_at_once_is_harmless(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        await test.Store.InsertAsync([Message("group:kept", 1)], None);

        await test.Store.InitializeAsync(None);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => test.Open().InitializeAsync(None)));

        var other = test.Open();
        await other.InitializeAsync(None);
        Assert.Equal([Message("group:kept", 1)], await other.ReadAsync("group:kept", 0, 10, None));
        await other.InsertAsync([Message("group:kept", 2)], None);
        Assert.Equal(2, await test.Store.GetLastSeqAsync("group:kept", None));
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Stores))]
    public async Task A_batch_of_ten_thousand_messages_is_stored_whole(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        var batch = Enumerable.Range(0, 10_000)
            .Select(i => Message($"group:big-{i % 10}", (i / 10) + 1, clientMsgId: $"c-{i}", body: $$"""{"text":"message {{i}}"}"""))
            .ToArray();

        await test.Store.InsertAsync(batch, None);

        for (var t = 0; t < 10; t++)
        {
            Assert.Equal(1_000, await test.Store.GetLastSeqAsync($"group:big-{t}", None));
        }

        var page = await test.Store.ReadAsync("group:big-3", 500, 500, None);
        Assert.Equal(batch.Where(m => m.Timeline == "group:big-3" && m.Seq > 500), page);
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task An_empty_batch_is_a_no_op_and_an_unknown_kind_is_refused_before_it_is_stored(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        await test.Store.InsertAsync([], None);

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => test.Store.InsertAsync([Message("group:g1", 1), Message("group:g1", 2, kind: (MessageKind)9)], None));

        Assert.Contains("group:g1", error.Message, StringComparison.Ordinal);
        Assert.Contains("seq 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await test.Store.GetLastSeqAsync("group:g1", None));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stores))]
    public async Task A_bad_stored_row_is_reported_with_its_timeline_and_seq(string kind)
    {
        await using var test = await TestMessageStore.CreateAsync(kind);
        await test.Store.InsertAsync([Message("group:bad", 1)], None);
        // Written by something else (a newer build, a hand edit): kind 7 means nothing to this build.
        await test.ExecuteAsync(
            "INSERT INTO messages (timeline, seq, msg_id, from_user, to_timeline, client_msg_id, kind, body, ts) " +
            "VALUES ('group:bad', 2, 'm', 'alice', 'group:bad', 'c-2', 7, '{}', 0)");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => test.Store.ReadAsync("group:bad", 0, 10, None));
        Assert.Contains("group:bad", error.Message, StringComparison.Ordinal);
        Assert.Contains("seq 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("kind 7", error.Message, StringComparison.Ordinal);

        // The good row before it is still readable on its own.
        Assert.Single(await test.Store.ReadAsync("group:bad", 0, 1, None));
        Assert.Equal(2, await test.Store.GetLastSeqAsync("group:bad", None));
    }

    private static ChatMessage Message(
        string timeline,
        long seq,
        string from = "alice",
        string? to = null,
        string? clientMsgId = null,
        MessageKind kind = MessageKind.User,
        string body = """{"text":"hi"}""",
        long ts = 1_732_200_000_000,
        string? msgId = null) =>
        new(timeline, seq, msgId ?? $"01J-{timeline}-{seq}", from, to ?? timeline, clientMsgId ?? $"c-{timeline}-{seq}", kind, body, ts);

    private static IEnumerable<long> Seqs(long first, long last) => Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i);
}
