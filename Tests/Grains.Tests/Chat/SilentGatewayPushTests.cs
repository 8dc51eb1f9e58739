using System.Diagnostics;
using Xunit.Abstractions;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// A gateway that does not answer pushes (hung, or killed and not yet dropped by its silo) holds back the pushes of the
/// same batches to other gateways for at most its call's 5 s timeout (not the embedded silo's 30 s), then is skipped for
/// a few seconds and tried again without holding anything back; its sessions are kept (it may be alive), and once it
/// answers again it gets pushes again.
/// </summary>
public sealed class SilentGatewayPushTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task A_gateway_that_does_not_answer_delays_the_others_for_at_most_its_call_timeout_and_keeps_its_sessions()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        await using var silo = await ChatSilo.StartAsync(store);
        var answering = silo.Gateway();
        using var silent = new SilentGateway(silo.Grains);
        var bob = answering.Session("bob-1");
        var carol = silent.Session("carol-1");
        await silo.User("bob").Connect(bob);
        await silo.User("carol").Connect(carol);
        Assert.Null((await silo.Group("team").Create("alice", ["bob", "carol"])).Error);

        // Each group message goes to both gateways in one batch: the first waits for the silent one's call to time out.
        var stopwatch = Stopwatch.StartNew();
        var first = (await silo.Group("team").Send("alice", "m-0", "{}", null)).Ack!;
        await answering.WaitForAsync(bob, m => m.MsgId == first.MsgId);
        output.WriteLine($"first push after {stopwatch.ElapsedMilliseconds} ms");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"the first push took {stopwatch.Elapsed}: the silent gateway's call waited longer than its 5 s timeout");

        // Then it is skipped, and tried again now and then without the batches waiting: the others' pushes keep flowing.
        for (var i = 1; i <= 8; i++)
        {
            var sent = Stopwatch.StartNew();
            var ack = (await silo.Group("team").Send("alice", $"m-{i}", "{}", null)).Ack!;
            await answering.WaitForAsync(bob, m => m.MsgId == ack.MsgId);
            output.WriteLine($"push {i} after {sent.ElapsedMilliseconds} ms");
            await Task.Delay(1_000);
        }

        Assert.Contains(carol, await silo.User("carol").Sessions());

        // Answering again: once its skip is over it gets pushes again, and its sessions were never dropped.
        silent.Answer();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var delivered = false;
        for (var n = 100; !delivered && DateTime.UtcNow < deadline; n++)
        {
            var ack = (await silo.Group("team").Send("alice", $"m-{n}", "{}", null)).Ack!;
            await Task.Delay(500);
            delivered = silent.Received(ack.MsgId);
        }

        Assert.True(delivered, "the gateway that answers again got no more pushes");
        Assert.Contains(carol, await silo.User("carol").Sessions());
    }
}
