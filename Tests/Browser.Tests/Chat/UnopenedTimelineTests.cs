using ChatCluster.Browser.Tests.Artifacts;
using ChatCluster.Browser.Tests.Sessions;
using Xunit.Abstractions;

namespace ChatCluster.Browser.Tests.Chat;

/// <summary>
/// A message pushed into a conversation the person has not opened yet: the list counts it, and
/// opening the conversation shows it together with what was said before.
/// </summary>
public sealed class UnopenedTimelineTests(ITestOutputHelper output)
{
    [Fact(Timeout = 110_000)]
    public async Task Opening_a_group_after_a_live_message_shows_the_earlier_messages_too()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var screenshots = ScreenshotFolder.ForScenario("unopened-group", output);
        await using var session = await BrowserSession.StartAsync();
        var alice = await session.NewPersonAsync($"alice-{run}");
        var bob = await session.NewPersonAsync($"bob-{run}");

        try
        {
            await alice.SignInAsync(session.Silo.BaseAddress);
            var group = $"book-club-{run}";
            await alice.CreateGroupAsync(group, bob.User);
            var earlier = "said before bob came online";
            await alice.SendAsync(earlier);

            await bob.SignInAsync(session.Silo.BaseAddress);
            var unreadAtSignIn = await bob.UnreadAsync(group);
            var later = "said while bob looks elsewhere";
            await alice.SendAsync(later);
            await bob.ExpectUnreadAsync(group, unreadAtSignIn + 1); // pushed, not fetched

            await bob.OpenGroupAsync(group);
            await bob.ExpectMessageAsync(alice.User, later);
            await bob.ExpectMessageAsync(alice.User, earlier);
            await screenshots.SaveAsync("opened", bob);
        }
        catch
        {
            await screenshots.TrySaveAsync("failure", alice, bob);
            output.WriteLine("silo output:\n" + session.Silo.Output);
            throw;
        }
    }
}
