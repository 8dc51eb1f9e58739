using ChatCluster.Browser.Tests.Artifacts;
using ChatCluster.Browser.Tests.Browsers;
using ChatCluster.Browser.Tests.Pages;
using ChatCluster.Testing.Processes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ChatCluster.Browser.Tests.Chat;

/// <summary>
/// Two people on the demo page, each in their own browser context, against the real silo run as
/// a separate process: what one sends, the other sees arrive while looking at the conversation.
/// </summary>
public sealed class LiveMessagingTests(ITestOutputHelper output)
{
    private const string Scenario = "live-messaging";
    private const string NoReloadMarker = "window.__chatClusterSameDocument";

    [Fact(Timeout = 110_000)]
    public async Task Direct_and_group_messages_arrive_live_on_the_other_persons_page()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var screenshots = ScreenshotFolder.Create(output);
        screenshots.DeleteEarlier(Scenario);
        await using var silo = SiloProcess.Start();
        await silo.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await DebianChromium.LaunchAsync(playwright);
        await using var aliceContext = await browser.NewContextAsync();
        await using var bobContext = await browser.NewContextAsync();
        var alice = new ChatPage(await aliceContext.NewPageAsync(), $"alice-{run}");
        var bob = new ChatPage(await bobContext.NewPageAsync(), $"bob-{run}");

        try
        {
            await alice.SignInAsync(silo.BaseAddress);
            await bob.SignInAsync(silo.BaseAddress);
            await MarkDocumentAsync(alice, bob);

            // Direct messages: both look at the conversation; each message must arrive by push.
            await alice.StartDirectMessagesAsync(bob.User);
            await bob.StartDirectMessagesAsync(alice.User);
            var hello = $"hello {bob.User}, this is {alice.User}";
            await alice.SendAsync(hello);
            await bob.ExpectMessageAsync(alice.User, hello);
            await SaveBothAsync(screenshots, "dm-received", alice, bob);

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
            await SaveBothAsync(screenshots, "group-received", alice, bob);

            var answer = $"thanks, {alice.User}";
            await bob.SendAsync(answer);
            await alice.ExpectMessageAsync(bob.User, answer);
            await SaveBothAsync(screenshots, "group-answered", alice, bob);

            await AssertSameDocumentAsync(alice, bob);
        }
        catch
        {
            await TrySaveBothAsync(screenshots, "failure", alice, bob);
            output.WriteLine("silo output:\n" + silo.Output);
            throw;
        }
    }

    // A property set on window survives only as long as the document: any reload drops it.
    private static async Task MarkDocumentAsync(params ChatPage[] pages)
    {
        foreach (var page in pages)
        {
            await page.Page.EvaluateAsync($"() => {{ {NoReloadMarker} = true; }}");
        }
    }

    private static async Task AssertSameDocumentAsync(params ChatPage[] pages)
    {
        foreach (var page in pages)
        {
            Assert.True(await page.Page.EvaluateAsync<bool>($"() => {NoReloadMarker} === true"), $"{page.User}'s page was reloaded");
        }
    }

    // On failure the pages may already be unusable; the test's own error is the one to report.
    private async Task TrySaveBothAsync(ScreenshotFolder screenshots, string moment, params ChatPage[] pages)
    {
        try
        {
            await SaveBothAsync(screenshots, moment, pages);
        }
        catch (PlaywrightException e)
        {
            output.WriteLine($"no {moment} screenshot: {e.Message}");
        }
    }

    private static async Task SaveBothAsync(ScreenshotFolder screenshots, string moment, params ChatPage[] pages)
    {
        foreach (var page in pages)
        {
            var who = page.User.Split('-')[0];
            await screenshots.SaveAsync(page.Page, $"{Scenario}_{moment}_{who}");
        }
    }
}
