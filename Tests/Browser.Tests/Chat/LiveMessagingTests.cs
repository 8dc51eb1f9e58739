using ChatCluster.Browser.Tests.Artifacts;
using ChatCluster.Browser.Tests.Sessions;
using Xunit.Abstractions;

namespace ChatCluster.Browser.Tests.Chat;

/// <summary>
/// Two people on the demo page, each in their own browser context, against the real silo run as
/// a separate process: what one sends, the other sees arrive while looking at the conversation.
/// </summary>
public sealed class LiveMessagingTests(ITestOutputHelper output)
{
    [Fact(Timeout = 110_000)]
    public async Task Direct_and_group_messages_arrive_live_on_the_other_persons_page()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var screenshots = ScreenshotFolder.ForScenario("live-messaging", output);
        await using var session = await BrowserSession.StartAsync();
        var alice = await session.NewPersonAsync($"alice-{run}");
        var bob = await session.NewPersonAsync($"bob-{run}");

        try
        {
            await alice.SignInAsync(session.Silo.BaseAddress);
            await bob.SignInAsync(session.Silo.BaseAddress);

            // Direct messages: both look at the conversation; each message must arrive by push.
            await alice.StartDirectMessagesAsync(bob.User);
            await bob.StartDirectMessagesAsync(alice.User);
            var hello = $"hello {bob.User}, this is {alice.User}";
            await alice.SendAsync(hello);
            await bob.ExpectMessageAsync(alice.User, hello);
            await screenshots.SaveAsync("dm-received", alice, bob);

            var reply = $"hi {alice.User}, {bob.User} here";
            await bob.SendAsync(reply);
            await alice.ExpectMessageAsync(bob.User, reply);

            // A group that Alice creates with Bob in it shows up in Bob's list without a reload.
            var group = $"team-{run}";
            await alice.CreateGroupAsync(group, bob.User);
            await bob.ExpectGroupListedAsync(group);
            await bob.OpenGroupAsync(group);
            var announcement = $"welcome to {group}";
            await alice.SendAsync(announcement);
            await bob.ExpectMessageAsync(alice.User, announcement);
            await screenshots.SaveAsync("group-received", alice, bob);

            var answer = $"thanks, {alice.User}";
            await bob.SendAsync(answer);
            await alice.ExpectMessageAsync(bob.User, answer);
            await screenshots.SaveAsync("group-answered", alice, bob);

            await alice.AssertNotReloadedAsync();
            await bob.AssertNotReloadedAsync();
        }
        catch
        {
            await screenshots.TrySaveAsync("failure", alice, bob);
            output.WriteLine("silo output:\n" + session.Silo.Output);
            throw;
        }
    }
}
