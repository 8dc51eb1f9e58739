using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>The persist and push consumer groups are independent: a stalled message store holds back persistence only.</summary>
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
}
