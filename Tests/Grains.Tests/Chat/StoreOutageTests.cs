using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Sqlite;
using ChatCluster.Grains.Users;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// The persist and push consumer groups are independent: a stalled message store holds back persistence only; and a
/// timeline that cannot raise its sequence bound (grain storage down) refuses sends until it can, without reloading.
/// </summary>
public sealed class StoreOutageTests
{
    [Fact(Timeout = 180_000)]
    public async Task While_the_store_holds_its_writes_for_10_s_pushes_keep_arriving_and_afterwards_every_message_is_stored_once()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        HeldMessageStore? held = null;
        await using var silo = await ChatSilo.StartAsync(store, configure: s => s.Services.AddSingleton<IMessageStore>(_ =>
            held = new HeldMessageStore(new SqliteMessageStore(Path.Combine(store.Directory, "messages.db")))));
        var gateway = silo.Gateway();
        var bobPhone = gateway.Session("bob-phone");
        await silo.User("bob").Connect(bobPhone);
        await silo.User("alice").SendDirect("bob", "warm-up", "{}", null); // both grains active before the hold
        await gateway.WaitForAsync(bobPhone, m => m.ClientMsgId == "warm-up");

        held!.Hold();
        var holdStarted = DateTime.UtcNow;
        var acks = new List<SendAck>();
        for (var i = 0; i < 20; i++)
        {
            acks.Add((await silo.User("alice").SendDirect("bob", $"held-{i}", "{}", null)).Ack!);
            await gateway.WaitForAsync(bobPhone, m => m.MsgId == acks[^1].MsgId);
        }

        // Every send was acked and pushed while the store was held, and nothing of it was stored yet.
        Assert.True(held.HeldInserts > 0, "no insert was held: the test did not stall the store");
        var stored = await held.ReadAsync("user:bob", 0, 100, CancellationToken.None);
        Assert.DoesNotContain(stored, m => m.ClientMsgId.StartsWith("held-", StringComparison.Ordinal));

        var wait = TimeSpan.FromSeconds(10) - (DateTime.UtcNow - holdStarted);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        held.Release();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        IReadOnlyList<ChatMessage> bobs;
        do
        {
            await Task.Delay(100);
            bobs = await held.ReadAsync("user:bob", 0, 100, CancellationToken.None);
        }
        while (bobs.Count < 21 && DateTime.UtcNow < deadline);

        Assert.Equal(21, bobs.Count);
        Assert.Equal(acks.Select(a => a.MsgId).Order(), bobs.Where(m => m.ClientMsgId.StartsWith("held-", StringComparison.Ordinal)).Select(m => m.MsgId).Order());
        var alices = await held.ReadAsync("user:alice", 0, 100, CancellationToken.None);
        Assert.Equal(21, alices.Count);
        Assert.Equal(alices.Count, alices.Select(m => m.ClientMsgId).Distinct().Count());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_timeline_that_cannot_raise_its_sequence_bound_refuses_sends_and_takes_the_resend_once_storage_is_back()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        HeldMessageStore? held = null;
        FailingGrainStorage? grainStorage = null;
        // A step of 4: a timeline needs a new bound every few sends.
        await using var silo = await ChatSilo.StartAsync(store, chat: new Dictionary<string, string?> { ["SequenceStep"] = "4" }, configure: s =>
        {
            s.Services.AddSingleton<IMessageStore>(_ => held = new HeldMessageStore(new SqliteMessageStore(Path.Combine(store.Directory, "messages.db"))));
            FailingGrainStorage.Wrap(s.Services, ChatStorage.Name, created => grainStorage = created);
        });
        var alice = silo.User("alice");
        Assert.NotNull((await alice.SendDirect("bob", "before", "{}", null)).Ack);

        // The database goes down: grain storage refuses writes and the persistence group cannot store.
        held!.Hold();
        grainStorage!.Failing = true;
        var acked = new List<string> { "before" };
        string? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var result = await alice.SendDirect("bob", $"down-{i}", "{}", null);
            if (result.Ack is null)
            {
                Assert.Equal(ChatErrorCode.Unavailable, result.Error!.Code);
                refused = $"down-{i}";
            }
            else
            {
                acked.Add($"down-{i}");
            }
        }

        Assert.True(refused is not null, "20 sends were acked without a new sequence bound: the test did not run the timelines out of numbers");
        Assert.True(grainStorage.FailedWrites > 0);

        // Grain storage is back while the store still holds its writes. A timeline that had reloaded would now wait for the
        // persistence group; one that stayed loaded takes the resend at once, and the sends after it.
        grainStorage.Failing = false;
        var resent = await alice.SendDirect("bob", refused!, "{}", null).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.NotNull(resent.Ack);
        acked.Add(refused!);
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull((await alice.SendDirect("bob", $"after-{i}", "{}", null).WaitAsync(TimeSpan.FromSeconds(20))).Ack);
            acked.Add($"after-{i}");
        }

        // Both timelines hold every acked send once, in the order sent, with no seq skipped.
        held.Release();
        foreach (var user in new[] { "alice", "bob" })
        {
            var page = await silo.User(user).Sync(0, 100);
            Assert.Equal(acked, page.Messages.Select(m => m.ClientMsgId));
            Assert.Equal(Enumerable.Range(1, acked.Count).Select(n => (long)n), page.Messages.Select(m => m.Seq));
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_timeline_whose_stored_state_was_written_by_another_activation_reloads_and_takes_the_resend()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        FailingGrainStorage? grainStorage = null;
        await using var silo = await ChatSilo.StartAsync(store, chat: new Dictionary<string, string?> { ["SequenceStep"] = "4" }, configure: s =>
            FailingGrainStorage.Wrap(s.Services, ChatStorage.Name, created => grainStorage = created));
        var alice = silo.User("alice");
        Assert.NotNull((await alice.SendDirect("bob", "before", "{}", null)).Ack);

        // Alice's etag goes stale: her next raise of the sequence bound is refused with a version conflict, which must
        // not be taken for an outage (staying loaded would refuse every send from then on).
        await grainStorage!.RewriteBehindTheGrainAsync<UserState>("user", GrainId.Create("user", "alice"));
        var acked = new List<string> { "before" };
        for (var i = 0; i < 20; i++)
        {
            var clientMsgId = $"send-{i}";
            var deadline = DateTime.UtcNow.AddSeconds(30);
            SendResult result;
            while ((result = await alice.SendDirect("bob", clientMsgId, "{}", null)).Ack is null)
            {
                Assert.Equal(ChatErrorCode.Unavailable, result.Error!.Code);
                Assert.True(DateTime.UtcNow < deadline, $"{clientMsgId} was refused for 30 s: {result.Error.Message}");
                await Task.Delay(100);
            }

            acked.Add(clientMsgId);
        }

        var page = await alice.Sync(0, 100);
        Assert.Equal(acked, page.Messages.Select(m => m.ClientMsgId));
        Assert.Equal(page.Messages.Select(m => m.Seq).Order(), page.Messages.Select(m => m.Seq));
    }
}
