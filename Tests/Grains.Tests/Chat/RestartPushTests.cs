using System.Diagnostics;
using Xunit.Abstractions;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>Sessions stored by a user grain outlive the process; after a restart they name a gateway that is gone.</summary>
public sealed class RestartPushTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task After_a_restart_pushes_reach_the_new_connection_and_the_sessions_of_the_earlier_run_are_forgotten()
    {
        using var store = await ChatStore.CreateAsync("sqlite");
        Session before;
        await using (var first = await ChatSilo.StartAsync(store))
        {
            before = first.Gateway().Session("bob-old");
            await first.User("bob").Connect(before);
        }

        await using var second = await ChatSilo.StartAsync(store);
        var gateway = second.Gateway();
        var now = gateway.Session("bob-new");
        await second.User("bob").Connect(now);
        Assert.Contains(before, await second.User("bob").Sessions());

        var stopwatch = Stopwatch.StartNew();
        var first1 = (await second.User("alice").SendDirect("bob", "r-1", "{}", null)).Ack!;
        await gateway.WaitForAsync(now, m => m.MsgId == first1.MsgId);
        output.WriteLine($"first push after {stopwatch.ElapsedMilliseconds} ms");
        var second1 = (await second.User("alice").SendDirect("bob", "r-2", "{}", null)).Ack!;
        await gateway.WaitForAsync(now, m => m.MsgId == second1.MsgId);
        output.WriteLine($"second push after {stopwatch.ElapsedMilliseconds} ms");

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await second.User("bob").Sessions()).Contains(before) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal([now], await second.User("bob").Sessions());
    }
}
