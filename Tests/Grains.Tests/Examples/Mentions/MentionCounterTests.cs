using ChatCluster.Grains.Tests.Chat;

namespace ChatCluster.Grains.Tests.Examples.Mentions;

/// <summary>The worked example of docs/writing-grains.md: a grain fed by the timeline log, run in a silo wired as the real one.</summary>
public sealed class MentionCounterTests
{
    [Fact(Timeout = 120_000)]
    public async Task Mentions_in_direct_and_group_messages_are_counted_once_each_also_across_a_restart()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        await using (var silo = await ChatSilo.StartAsync(store, extraReaders: [MentionScannerGrain.LogReader]))
        {
            await silo.Group("team").Create("alice", ["bob", "carol"]);
            await silo.Group("team").Send("alice", "g1", """{"text":"@bob and @carol, see @bob's note"}""", null);
            await silo.User("carol").SendDirect("bob", "d1", """{"text":"thanks @bob"}""", null);
            await silo.User("bob").SendDirect("alice", "d2", """{"text":"no mention here, mail bob@example.com"}""", null);

            await WaitForCountAsync(silo, "bob", 3);
            await WaitForCountAsync(silo, "carol", 1);
            Assert.Equal(0, await silo.Grains.GetGrain<IMentionCounterGrain>("alice").Count());
        }

        // A new silo on the same files: the mentions reader resumes from its checkpoint and may replay; nothing counts twice.
        await using var again = await ChatSilo.StartAsync(store, extraReaders: [MentionScannerGrain.LogReader]);
        await again.Group("team").Send("carol", "g2", """{"text":"@alice"}""", null);
        await WaitForCountAsync(again, "alice", 1);
        Assert.Equal(3, await again.Grains.GetGrain<IMentionCounterGrain>("bob").Count());
        Assert.Equal(1, await again.Grains.GetGrain<IMentionCounterGrain>("carol").Count());
    }

    private static async Task WaitForCountAsync(ChatSilo silo, string user, long expected)
    {
        var counter = silo.Grains.GetGrain<IMentionCounterGrain>(user);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long count;
        while ((count = await counter.Count()) < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(expected, count);
    }
}
