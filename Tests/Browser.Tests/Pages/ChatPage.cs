using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests.Pages;

/// <summary>
/// The demo page (<c>GET /</c>) as one signed-in person uses it, through its <c>data-testid</c>
/// hooks. Every wait is one of Playwright's auto-waiting assertions, bounded by <see cref="Wait"/>.
/// </summary>
public sealed class ChatPage(IPage page, string user)
{
    /// <summary>How long one step (a click landing, a message arriving) may take.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static readonly float WaitMs = (float)Wait.TotalMilliseconds;

    // A property on window lives exactly as long as the document: a reload drops it.
    private const string SameDocumentMarker = "window.__chatClusterSameDocument";

    public IPage Page { get; } = page;

    public string User { get; } = user;

    /// <summary>The user id without its per-run suffix ("alice" for "alice-1a2b3c4d"), for file names.</summary>
    public string Name => User.Split('-')[0];

    private ILocator Messages => Page.GetByTestId("messages");

    /// <summary>Opens the page at <paramref name="baseAddress"/> and signs in as <see cref="User"/> with a development token.</summary>
    public async Task SignInAsync(Uri baseAddress)
    {
        await Page.GotoAsync(baseAddress.ToString(), new PageGotoOptions { Timeout = WaitMs });
        await Page.GetByTestId("signin-user").FillAsync(User, new LocatorFillOptions { Timeout = WaitMs });
        await Page.GetByTestId("signin-submit").ClickAsync(new LocatorClickOptions { Timeout = WaitMs });
        await Expect(Page.GetByTestId("me")).ToHaveTextAsync("signed in as " + User, new() { Timeout = WaitMs });
        // Connected: the list shows the user's own timeline once the first "timelines" reply is in.
        await Expect(Timeline($"user:{User}")).ToBeVisibleAsync(new() { Timeout = WaitMs });
        await Page.EvaluateAsync($"() => {{ {SameDocumentMarker} = true; }}");
    }

    /// <summary>Fails unless the page still shows the document it signed in on: nothing got there by reloading.</summary>
    public async Task AssertNotReloadedAsync() =>
        Assert.True(await Page.EvaluateAsync<bool>($"() => {SameDocumentMarker} === true"), $"{User}'s page was reloaded");

    /// <summary>Starts (or returns to) the direct conversation with <paramref name="peer"/> from the "message user id" form.</summary>
    public async Task StartDirectMessagesAsync(string peer)
    {
        await Page.GetByTestId("dm-user").FillAsync(peer, new LocatorFillOptions { Timeout = WaitMs });
        await Page.GetByTestId("dm-open").ClickAsync(new LocatorClickOptions { Timeout = WaitMs });
        await Expect(Page.GetByTestId("current")).ToHaveTextAsync("Direct messages with " + peer, new() { Timeout = WaitMs });
    }

    /// <summary>Opens the conversation with <paramref name="peer"/> from the list, where it appears once a message came in.</summary>
    public async Task OpenDirectMessagesAsync(string peer)
    {
        await Page.Locator($"[data-testid='timeline'][data-peer='{peer}']").ClickAsync(new LocatorClickOptions { Timeout = WaitMs });
        await Expect(Page.GetByTestId("current")).ToHaveTextAsync("Direct messages with " + peer, new() { Timeout = WaitMs });
    }

    /// <summary>Creates <paramref name="group"/> with <paramref name="members"/> from the group form; the page then shows it.</summary>
    public async Task CreateGroupAsync(string group, params string[] members)
    {
        await Page.GetByTestId("group-id").FillAsync(group, new LocatorFillOptions { Timeout = WaitMs });
        await Page.GetByTestId("group-members").FillAsync(string.Join(", ", members), new LocatorFillOptions { Timeout = WaitMs });
        await Page.GetByTestId("group-create").ClickAsync(new LocatorClickOptions { Timeout = WaitMs });
        await ExpectGroupOpenAsync(group);
    }

    /// <summary>Opens <paramref name="group"/> from the list, where it appears once the page learns of it.</summary>
    public async Task OpenGroupAsync(string group)
    {
        await Timeline($"group:{group}").ClickAsync(new LocatorClickOptions { Timeout = WaitMs });
        await ExpectGroupOpenAsync(group);
    }

    /// <summary>Types <paramref name="text"/> into the compose box, sends it and waits until the page shows it as sent.</summary>
    public async Task SendAsync(string text)
    {
        await Page.GetByTestId("compose-text").FillAsync(text, new LocatorFillOptions { Timeout = WaitMs });
        await Page.GetByTestId("compose-send").ClickAsync(new LocatorClickOptions { Timeout = WaitMs });
        await ExpectMessageAsync(User, text);
        await Expect(Page.GetByTestId("log")).ToBeEmptyAsync(new() { Timeout = WaitMs });
    }

    /// <summary>Waits until the open conversation shows a message from <paramref name="from"/> with <paramref name="text"/>.</summary>
    public Task ExpectMessageAsync(string from, string text) =>
        Expect(Messages.Locator($"[data-testid='message'][data-from='{from}']").Filter(new LocatorFilterOptions { HasText = text }))
            .ToHaveCountAsync(1, new() { Timeout = WaitMs });

    /// <summary>The unread count the list shows for <paramref name="group"/> once it shows one.</summary>
    public async Task<int> UnreadAsync(string group)
    {
        var badge = Timeline($"group:{group}").GetByTestId("unread");
        await Expect(badge).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9]+$"), new() { Timeout = WaitMs });
        return int.Parse(await badge.TextContentAsync() ?? "", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the list shows <paramref name="count"/> unread for <paramref name="group"/>.</summary>
    public Task ExpectUnreadAsync(string group, int count) =>
        Expect(Timeline($"group:{group}").GetByTestId("unread"))
            .ToHaveTextAsync(count.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = WaitMs });

    /// <summary>Waits until the list has an entry for <paramref name="group"/>.</summary>
    public Task ExpectGroupListedAsync(string group) =>
        Expect(Timeline($"group:{group}")).ToBeVisibleAsync(new() { Timeout = WaitMs });

    private async Task ExpectGroupOpenAsync(string group)
    {
        await Expect(Page.GetByTestId("current")).ToHaveTextAsync("Group " + group, new() { Timeout = WaitMs });
        await Expect(Page.GetByTestId("members")).ToContainTextAsync("owner", new() { Timeout = WaitMs });
    }

    private ILocator Timeline(string timeline) =>
        Page.Locator($"[data-testid='timeline'][data-timeline='{timeline}']:not([data-peer])");
}
